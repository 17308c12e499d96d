import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Policy } from 'aws-cdk-lib/aws-iam';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ResourceUse } from '../../functions/routes.js';
import { entryPath, esbuildOptions, nodejsBundling, repoRoot } from '../../lib/bundling.js';
import {
  ADMIN_KEY_SECRET_ENV,
  functionId,
  HubFunction,
  type HubResources,
} from '../../lib/constructs/hub-function.js';
import { deliveryQueue, messagesTable, payloadBucket, registryTable } from '../../lib/resources.js';

const ALL_USES: ResourceUse[] = [
  'registry:read',
  'registry:write',
  'messages:read',
  'messages:write',
  'payloads:read',
  'payloads:write',
  'deliveryQueue:send',
  'deliveryQueue:consume',
  'deliveryDeadLetter:consume',
  'adminKey:read',
];

/** A bare stack with one of each resource and one function bound to every use, with tracing on. */
function build() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'HubFunctionTest');
  const table = (id: string, gsi: boolean) => {
    const t = new Table(stack, id, {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
    });
    if (gsi)
      t.addGlobalSecondaryIndex({
        indexName: 'byKind',
        partitionKey: { name: 'kind', type: AttributeType.STRING },
      });
    return t;
  };
  const dlq = new Queue(stack, 'Dlq');
  const resources: HubResources = {
    registryTable: table(registryTable.id, true),
    messagesTable: table(messagesTable.id, false),
    payloadBucket: new Bucket(stack, payloadBucket.id),
    deliveryQueue: new Queue(stack, deliveryQueue.id, {
      deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
    }),
    deliveryDeadLetter: dlq,
    adminKey: new Secret(stack, 'AdminKey'),
  };
  const fn = new HubFunction(stack, 'Everything', {
    stage: 'test',
    handler: { file: 'http/system.ts', export: 'health' },
    resources,
    uses: ALL_USES,
    timeoutSeconds: 10,
    tracing: true,
  });
  const template = Template.fromStack(stack);
  return { stack, fn, template, resources };
}

describe('HubFunction', () => {
  let b: ReturnType<typeof build>;
  beforeAll(() => {
    b = build();
  });

  const id = (c: { node: { defaultChild?: unknown } }) =>
    b.stack.resolve(b.stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;

  it('sets the env var of every use, named by lib/resources.ts', () => {
    const props = b.template.toJSON().Resources[id(b.fn.function)].Properties;
    expect(props.Environment.Variables).toMatchObject({
      [registryTable.envVar]: { Ref: id(b.resources.registryTable) },
      [messagesTable.envVar]: { Ref: id(b.resources.messagesTable) },
      [payloadBucket.envVar]: { Ref: id(b.resources.payloadBucket) },
      [deliveryQueue.envVar]: { Ref: id(b.resources.deliveryQueue) },
      [deliveryQueue.deadLetter.envVar]: { Ref: id(b.resources.deliveryDeadLetter) },
      [ADMIN_KEY_SECRET_ENV]: { Ref: id(b.resources.adminKey) },
      STAGE: 'test',
      POWERTOOLS_SERVICE_NAME: 'crossdock',
    });
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('grants bucket access only under the prefixes the bucket definition expires', () => {
    const statements = Object.values(
      b.template.toJSON().Resources as Record<
        string,
        {
          Type: string;
          Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
        }
      >,
    )
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => r.Properties.PolicyDocument.Statement)
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')));
    const objectResources = JSON.stringify(statements.map((st) => st.Resource));
    for (const { prefix } of payloadBucket.expiry) expect(objectResources).toContain(`/${prefix}*`);
    expect(objectResources).not.toMatch(/"\/\*"/);
  });

  it('leaves no cdk-nag finding on the function, its role or its log group', () => {
    const report = new AwsSolutionsChecks().validateScope(b.stack);
    const own = report.violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      .filter((f) => f.includes('/Everything/'));
    expect(own).toEqual([]);
  });

  it('binds a use once, however often it is named', () => {
    const policy = b.fn.role.node.tryFindChild('DefaultPolicy') as Policy;
    const before = JSON.stringify(b.stack.resolve(policy.document));
    b.fn.bind('registry:read').bind('payloads:read');
    expect(JSON.stringify(b.stack.resolve(policy.document))).toBe(before);
  });
});

describe('functionId', () => {
  it('derives a PascalCase construct id from the handler file and export', () => {
    expect(functionId({ file: 'http/admin/partners.ts', export: 'createPartner' })).toBe(
      'AdminPartnersCreatePartner',
    );
    expect(functionId({ file: 'http/system.ts', export: 'health' })).toBe('SystemHealth');
    expect(functionId({ file: 'workers/dead-letter.ts', export: 'handler' })).toBe(
      'WorkersDeadLetterHandler',
    );
  });
});

describe('bundling', () => {
  it('resolves handler entries under functions/ and refuses paths that leave it', () => {
    expect(entryPath({ file: 'http/system.ts' }).startsWith(repoRoot)).toBe(true);
    expect(entryPath({ file: 'http/system.ts' }).endsWith('functions/http/system.ts')).toBe(true);
    expect(() => entryPath({ file: '../lib/stack.ts' })).toThrow(/inside functions/);
    expect(() => entryPath({ file: '/etc/passwd' })).toThrow(/inside functions/);
  });

  it('gives CDK and esbuild the same ESM, node24, minified, SDK-bundling options', () => {
    expect(esbuildOptions).toMatchObject({
      format: 'esm',
      platform: 'node',
      target: 'node24',
      minify: true,
      sourcemap: true,
    });
    expect(esbuildOptions.mainFields).toEqual(['module', 'main']);
    expect(esbuildOptions.external).toEqual([]);
    expect(esbuildOptions.banner.js).toMatch(/createRequire.*import\.meta\.url/);
    expect(nodejsBundling).toMatchObject({
      format: OutputFormat.ESM,
      target: esbuildOptions.target,
      minify: true,
      sourceMap: true,
      mainFields: ['module', 'main'],
      banner: esbuildOptions.banner.js,
      bundleAwsSDK: true,
      externalModules: [],
    });
  });
});
