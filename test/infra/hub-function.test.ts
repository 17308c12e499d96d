import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, BillingMode, Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Policy } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueueSource, TopicName } from '../../functions/route-types.js';
import type { ResourceUse } from '../../functions/routes.js';
import { entryPath, esbuildOptions, repoRoot } from '../../lib/bundling.js';
import {
  functionId,
  HubFunction,
  type HubFunctionProps,
  type HubResources,
  PEEK_ACTIONS,
  PRESIGN_DOWNLOAD_ACTIONS,
  PRESIGN_UPLOAD_ACTIONS,
} from '../../lib/constructs/hub-function.js';
import {
  checkQueueSources,
  isQueueName,
  QUEUE_BY_NAME,
  QUEUE_SOURCES,
  queueSourceEnvVar,
  queueSourceTarget,
} from '../../lib/constructs/queue-sources.js';
import { TOPIC_BY_NAME } from '../../lib/function-environment.js';
import {
  messagesTable,
  packetDownloadPrefixes,
  packetPrefixes,
  packetTopic,
  payloadBucket,
  queues,
  registryTable,
  SETTINGS,
} from '../../lib/resources.js';

/** Every resource use: a Record, so a use added to ResourceUse without a line here fails to compile. */
const EVERY_USE: Record<ResourceUse, true> = {
  'registry:read': true,
  'registry:write': true,
  'messages:read': true,
  'messages:write': true,
  'payloads:read': true,
  'payloads:write': true,
  'payloads:presignUpload': true,
  'packets:presignUpload': true,
  'packets:presignDownload': true,
  'packetTopic:publish': true,
  'eventsTopic:publish': true,
  'deliveryQueue:send': true,
  'orderedDeliveryQueue:send': true,
  'uploadQueue:send': true,
  'packetQueue:send': true,
  'deliveryQueue:consume': true,
  'orderedDeliveryQueue:consume': true,
  'uploadQueue:consume': true,
  'packetQueue:consume': true,
  'deliveryDeadLetter:consume': true,
  'orderedDeliveryDeadLetter:consume': true,
  'uploadDeadLetter:consume': true,
  'packetDeadLetter:consume': true,
  'deliveryDeadLetter:peek': true,
  'orderedDeliveryDeadLetter:peek': true,
  'uploadDeadLetter:peek': true,
  'packetDeadLetter:peek': true,
  'adminKey:read': true,
  'requests:record': true,
};
const ALL_USES = Object.keys(EVERY_USE) as ResourceUse[];

type FunctionSpec = Partial<Omit<HubFunctionProps, 'stage' | 'resources'>>;

/**
 * A bare stack with one of each resource (every queue of lib/resources.ts with its dead-letter queue)
 * and functions bound to given uses: `Everything` to every use, with tracing on.
 */
function build(extra: Record<string, FunctionSpec> = {}, bundling = false) {
  const app = new App(bundling ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
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
  const built = new Map(
    queues.map((def) => {
      const fifo = def.fifo ? { fifo: true } : {};
      const deadLetter = new Queue(stack, def.deadLetter.id, fifo);
      const queue = new Queue(stack, def.id, {
        ...fifo,
        deadLetterQueue: { queue: deadLetter, maxReceiveCount: def.maxReceiveCount },
      });
      return [def, { queue, deadLetter }] as const;
    }),
  );
  const queueOf = (source: QueueSource): Queue => {
    const { definition, deadLetter } = queueSourceTarget(source);
    const q = built.get(definition);
    if (!q) throw new Error(`${definition.id} is not in queues`);
    return deadLetter ? q.deadLetter : q.queue;
  };
  const resources: HubResources = {
    registryTable: table(registryTable.id, true),
    messagesTable: table(messagesTable.id, false),
    payloadBucket: new Bucket(stack, payloadBucket.id),
    queues: Object.fromEntries(QUEUE_SOURCES.map((source) => [source, queueOf(source)])) as Record<
      QueueSource,
      Queue
    >,
    adminKey: new Secret(stack, 'AdminKey'),
    topics: Object.fromEntries(
      Object.entries(TOPIC_BY_NAME).map(([name, def]) => [
        name,
        new Topic(stack, def.id, {
          masterKey: new Key(stack, `${def.id}Key`, { enableKeyRotation: true }),
          enforceSSL: true,
        }),
      ]),
    ) as Record<TopicName, Topic>,
  };
  const make = (id: string, spec: FunctionSpec) =>
    new HubFunction(stack, id, {
      stage: 'test',
      handler: { file: 'http/system.ts', export: 'health' },
      resources,
      timeoutSeconds: 10,
      ...spec,
    });
  // The extras first: a bundling build that must refuse one of them stops before bundling anything.
  const others = Object.fromEntries(Object.entries(extra).map(([id, spec]) => [id, make(id, spec)]));
  const fn = make('Everything', { uses: ALL_USES, tracing: true });
  const template = Template.fromStack(stack);
  return { stack, fn, others, template, resources };
}

type Built = ReturnType<typeof build>;

const logicalIdOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;

/** The Allow statements of a function's role policies. */
function statementsOf(b: Built, fn: HubFunction): { Action: string[]; Resource: unknown[] }[] {
  const roleId = logicalIdOf(b.stack, fn.role);
  return Object.values(
    b.template.toJSON().Resources as Record<
      string,
      {
        Type: string;
        Properties: {
          Roles?: { Ref: string }[];
          PolicyDocument: { Statement: { Effect: string; Action: string | string[]; Resource: unknown }[] };
        };
      }
    >,
  )
    .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((x) => x.Ref === roleId))
    .flatMap((r) => r.Properties.PolicyDocument.Statement)
    .filter((st) => st.Effect === 'Allow')
    .map((st) => ({ Action: [st.Action].flat(), Resource: [st.Resource].flat() }));
}

const environmentOf = (b: Built, fn: HubFunction): Record<string, unknown> =>
  b.template.toJSON().Resources[logicalIdOf(b.stack, fn.function)].Properties.Environment.Variables;

describe('HubFunction', () => {
  let b: Built;
  beforeAll(() => {
    b = build({
      PresignOnly: { uses: ['payloads:presignUpload'] },
      PresignsPackets: { uses: ['packets:presignUpload', 'packets:presignDownload'] },
      PublishesPackets: { uses: ['packetTopic:publish'] },
      SendsOrdered: { uses: ['orderedDeliveryQueue:send'] },
      ConsumesUploadDeadLetter: { uses: ['uploadDeadLetter:consume'] },
      PeeksDeliveryDeadLetter: { uses: ['deliveryDeadLetter:peek'] },
      RecordsRequests: { uses: ['requests:record'] },
    });
  });

  const id = (c: { node: { defaultChild?: unknown } }) => logicalIdOf(b.stack, c);

  it('sets the env var of every use, named by lib/resources.ts', () => {
    const props = b.template.toJSON().Resources[id(b.fn.function)].Properties;
    expect(props.Environment.Variables).toMatchObject({
      [registryTable.envVar]: { Ref: id(b.resources.registryTable) },
      [messagesTable.envVar]: { Ref: id(b.resources.messagesTable) },
      [payloadBucket.envVar]: { Ref: id(b.resources.payloadBucket) },
      [SETTINGS.adminKeySecretArn]: { Ref: id(b.resources.adminKey) },
      [packetTopic.envVar]: { Ref: id(b.resources.topics.packetTopic) },
      STAGE: 'test',
      POWERTOOLS_SERVICE_NAME: 'crossdock',
    });
    for (const def of queues) {
      expect(props.Environment.Variables[def.envVar], def.id).toEqual({
        Ref: id(b.stack.node.findChild(def.id)),
      });
      expect(props.Environment.Variables[def.deadLetter.envVar], def.deadLetter.id).toEqual({
        Ref: id(b.stack.node.findChild(def.deadLetter.id)),
      });
    }
    expect(props.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('logs JSON and drops the platform lines below WARN (START/END/REPORT cost more than the app logs)', () => {
    const props = b.template.toJSON().Resources[id(b.fn.function)].Properties;
    expect(props.LoggingConfig).toMatchObject({
      LogFormat: 'JSON',
      ApplicationLogLevel: 'INFO',
      SystemLogLevel: 'WARN',
    });
  });

  it('presignUpload: the bucket env var and s3:PutObject under the upload prefix, nothing else', () => {
    const fn = b.others.PresignOnly as HubFunction;
    const statements = statementsOf(b, fn).filter((st) => !st.Action.every((a) => a.startsWith('logs:')));
    expect(statements).toEqual([
      {
        Action: PRESIGN_UPLOAD_ACTIONS,
        Resource: [
          {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [id(b.resources.payloadBucket), 'Arn'] }, `/${payloadBucket.uploadPrefix}*`],
            ],
          },
        ],
      },
    ]);
    expect(PRESIGN_UPLOAD_ACTIONS).toEqual(['s3:PutObject']);
    const env = environmentOf(b, fn);
    expect(env[payloadBucket.envVar]).toEqual({ Ref: id(b.resources.payloadBucket) });
    expect(Object.keys(env).sort()).toEqual(
      ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_SERVICE_NAME', 'STAGE', payloadBucket.envVar].sort(),
    );
  });

  it('packets:presign*: PutObject under packets/, GetObject only under what the worker writes, nothing else', () => {
    const fn = b.others.PresignsPackets as HubFunction;
    const under = (prefix: string) => ({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [id(b.resources.payloadBucket), 'Arn'] }, `/${prefix}*`]],
    });
    const s3 = statementsOf(b, fn).filter((st) => st.Action.some((a) => a.startsWith('s3:')));
    expect(s3).toEqual([
      { Action: PRESIGN_UPLOAD_ACTIONS, Resource: [under(packetPrefixes.upload)] },
      { Action: PRESIGN_DOWNLOAD_ACTIONS, Resource: [under(packetPrefixes.checked)] },
      { Action: PRESIGN_DOWNLOAD_ACTIONS, Resource: [under(packetPrefixes.native)] },
    ]);
    expect(PRESIGN_DOWNLOAD_ACTIONS).toEqual(['s3:GetObject']);
    // A presigned GET never reaches the key a presigned PUT writes.
    expect(packetDownloadPrefixes).not.toContain(packetPrefixes.upload);
    for (const prefix of [packetPrefixes.upload, ...packetDownloadPrefixes]) {
      expect(payloadBucket.expiry.map((e) => e.prefix)).toContain(prefix);
    }
    expect(environmentOf(b, fn)[payloadBucket.envVar]).toEqual({ Ref: id(b.resources.payloadBucket) });
  });

  it('<topic>:publish: sns:Publish on that topic, its KMS key for encrypting, and its ARN', () => {
    const fn = b.others.PublishesPackets as HubFunction;
    const topic = b.resources.topics.packetTopic;
    const statements = statementsOf(b, fn).filter((st) => !st.Action.every((a) => a.startsWith('logs:')));
    expect(statements).toEqual(
      expect.arrayContaining([
        { Action: ['sns:Publish'], Resource: [{ Ref: id(topic) }] },
        {
          Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
          Resource: [{ 'Fn::GetAtt': [id(topic.masterKey as Key), 'Arn'] }],
        },
      ]),
    );
    expect(statements).toHaveLength(2);
    expect(environmentOf(b, fn)[packetTopic.envVar]).toEqual({ Ref: id(topic) });
  });

  it('requests:record: PutItem on the messages table only, and its name', () => {
    const fn = b.others.RecordsRequests as HubFunction;
    const dynamo = statementsOf(b, fn).filter((st) => st.Action.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap((st) => st.Action)).toEqual(['dynamodb:PutItem']);
    expect(JSON.stringify(dynamo.map((st) => st.Resource))).not.toContain(id(b.resources.registryTable));
    expect(environmentOf(b, fn)[messagesTable.envVar]).toEqual({ Ref: id(b.resources.messagesTable) });
    expect(environmentOf(b, fn)[registryTable.envVar]).toBeUndefined();
  });

  it('<queue>:send: SendMessage on that queue only, and its URL', () => {
    const fn = b.others.SendsOrdered as HubFunction;
    const sqs = statementsOf(b, fn).filter((st) => st.Action.some((a) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect(sqs[0]?.Action).toContain('sqs:SendMessage');
    expect(sqs[0]?.Action).not.toContain('sqs:ReceiveMessage');
    expect(sqs[0]?.Resource).toEqual([
      { 'Fn::GetAtt': [id(b.resources.queues.orderedDeliveryQueue), 'Arn'] },
    ]);
    expect(environmentOf(b, fn)[queueSourceEnvVar('orderedDeliveryQueue')]).toEqual({
      Ref: id(b.resources.queues.orderedDeliveryQueue),
    });
  });

  it('<source>:consume: only the URL (the event source grants the consumption)', () => {
    const fn = b.others.ConsumesUploadDeadLetter as HubFunction;
    expect(
      statementsOf(b, fn)
        .flatMap((st) => st.Action)
        .filter((a) => !a.startsWith('logs:')),
    ).toEqual([]);
    const env = environmentOf(b, fn);
    expect(env[queueSourceEnvVar('uploadDeadLetter')]).toEqual({
      Ref: id(b.stack.node.findChild(queueSourceTarget('uploadDeadLetter').definition.deadLetter.id)),
    });
  });

  it('<dead-letter queue>:peek: receive and hide on that queue only, never delete, and its URL', () => {
    const fn = b.others.PeeksDeliveryDeadLetter as HubFunction;
    const deadLetter = b.stack.node.findChild(
      queueSourceTarget('deliveryDeadLetter').definition.deadLetter.id,
    );
    const sqs = statementsOf(b, fn).filter((st) => st.Action.some((a) => a.startsWith('sqs:')));
    expect(sqs).toEqual([
      expect.objectContaining({
        Action: PEEK_ACTIONS,
        Resource: [{ 'Fn::GetAtt': [id(deadLetter), 'Arn'] }],
      }),
    ]);
    expect(sqs.flatMap((st) => st.Action)).not.toContain('sqs:DeleteMessage');
    expect(environmentOf(b, fn)[queueSourceEnvVar('deliveryDeadLetter')]).toEqual({ Ref: id(deadLetter) });
  });

  it('grants SendMessage for exactly the queues named in `<queue>:send` uses', () => {
    const sent = ALL_USES.filter((u) => u.endsWith(':send'))
      .map((u) => u.slice(0, -':send'.length))
      .filter(isQueueName);
    const arns = statementsOf(b, b.fn)
      .filter((st) => st.Action.includes('sqs:SendMessage'))
      .flatMap((st) => st.Resource);
    expect(arns).toHaveLength(sent.length);
    for (const name of sent) {
      expect(arns).toContainEqual({
        'Fn::GetAtt': [id(b.stack.node.findChild(QUEUE_BY_NAME[name].id)), 'Arn'],
      });
    }
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
    // Deleting (a refused message takes back its document) reaches payloads/ and nothing else.
    const deletes = statements.filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('s3:DeleteObject')),
    );
    expect(deletes.length).toBeGreaterThan(0);
    for (const st of deletes) {
      const resource = JSON.stringify(st.Resource);
      expect(resource).toContain('"/payloads/*"');
      for (const { prefix } of payloadBucket.expiry.filter((e) => e.prefix !== 'payloads/')) {
        expect(resource).not.toContain(`/${prefix}`);
      }
    }
  });

  it('leaves no cdk-nag finding on any function, its role or its log group', () => {
    const report = new AwsSolutionsChecks().validateScope(b.stack);
    const names = ['Everything', ...Object.keys(b.others)];
    const own = report.violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      .filter((f) => names.some((n) => f.includes(`/${n}/`)));
    expect(own).toEqual([]);
  });

  it('binds a use once, however often it is named', () => {
    const policy = b.fn.role.node.tryFindChild('DefaultPolicy') as Policy;
    const before = JSON.stringify(b.stack.resolve(policy.document));
    b.fn.bind('registry:read').bind('payloads:read');
    expect(JSON.stringify(b.stack.resolve(policy.document))).toBe(before);
  });
});

describe('HubFunction with a handler file not written yet', () => {
  const missing = { file: 'workers/not-written-yet.ts', export: 'handler' };

  it('gets placeholder code and a warning when the synth skips bundling', () => {
    const b = build({ Missing: { handler: missing } });
    const fn = b.others.Missing as HubFunction;
    const props = b.template.toJSON().Resources[logicalIdOf(b.stack, fn.function)].Properties;
    expect(props.Handler).toBe('index.handler');
    expect(props.Runtime).toBe('nodejs24.x');
    Annotations.fromStack(b.stack).hasWarning(
      `/${b.stack.stackName}/Missing`,
      Match.stringLikeRegexp('workers/not-written-yet\\.ts does not exist yet'),
    );
  });

  it('stops a bundling synth with a clear error', () => {
    expect(() => build({ Missing: { handler: missing } }, true)).toThrow(/Cannot find entry file/);
  });
});

describe('queue sources', () => {
  it('name every queue of lib/resources.ts and its dead-letter queue exactly once', () => {
    expect(() => checkQueueSources(queues)).not.toThrow();
    for (const def of queues) {
      const sources = QUEUE_SOURCES.filter((s) => queueSourceTarget(s).definition === def);
      expect(sources.map((s) => queueSourceTarget(s).deadLetter).sort(), def.id).toEqual([false, true]);
      expect(sources.map(queueSourceEnvVar).sort(), def.id).toEqual(
        [def.envVar, def.deadLetter.envVar].sort(),
      );
    }
  });

  it('refuse a queues list that disagrees with the mapping', () => {
    const [first, ...rest] = queues;
    expect(() => checkQueueSources(rest)).toThrow(new RegExp(`${first.id}, which is not in queues`));
    expect(() => checkQueueSources([...queues, { ...first, id: 'StrayQueue' }])).toThrow(
      /StrayQueue has 0 queue names/,
    );
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

  it('builds ESM for node24, minified, split, with the SDK bundled and source maps beside', () => {
    expect(esbuildOptions).toMatchObject({
      format: 'esm',
      platform: 'node',
      target: 'node24',
      minify: true,
      sourcemap: true,
      splitting: true,
    });
    expect(esbuildOptions.mainFields).toEqual(['module', 'main']);
    expect(esbuildOptions.external).toEqual([]);
    expect(esbuildOptions.banner.js).toMatch(/createRequire.*import\.meta\.url/);
  });
});
