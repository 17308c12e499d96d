import { existsSync, readFileSync } from 'node:fs';
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ResourceUse, type RouteDefinition, routes, workers } from '../../functions/routes.js';
import { entryPath } from '../../lib/bundling.js';
import {
  ADMIN_KEY_SECRET_ENV,
  DEFAULT_MEMORY_MB,
  functionId,
  type HubFunction,
  TABLE_WRITE_ACTIONS,
} from '../../lib/constructs/hub-function.js';
import { deliveryQueue, messagesTable, payloadBucket, registryTable, tables } from '../../lib/resources.js';
import { CrossdockStack, WORKER_MAX_CONCURRENCY } from '../../lib/stack.js';
import { parseStage, type StageName, stackName } from '../../lib/stage.js';

interface Synthesized {
  stack: CrossdockStack;
  template: Template;
  resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
}

/**
 * Builds a stage the way bin/crossdock.ts does, with the AwsSolutions pack registered, and synthesizes
 * it once. `aws:cdk:bundling-stacks: []` makes NodejsFunction skip esbuild (the entry files must still
 * exist), so a synth takes a second or two.
 */
function synth(stage: StageName): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CrossdockStack(app, stackName(stage), { stage });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synthesis runs the validation plugins: an unacknowledged cdk-nag error makes this throw.
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources };
}

const logicalId = (stack: CrossdockStack, construct: IConstruct): string =>
  stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));

const routeKey = (r: RouteDefinition) => `${r.method} ${r.path}`;

function routeFunction(stack: CrossdockStack, method: string, path: string): HubFunction {
  const route = routes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no route ${method} ${path} in the route table`);
  const fn = stack.functions.get(functionId(route.handler));
  if (!fn) throw new Error(`no function for ${method} ${path}`);
  return fn;
}

const workerFunction = (stack: CrossdockStack, id: string): HubFunction => {
  const fn = stack.functions.get(`${id}Worker`);
  if (!fn) throw new Error(`no function for worker ${id}`);
  return fn;
};

/** Every Allow statement of a function's role policy, flattened to (action, resource) lists. */
function policyOf(s: Synthesized, fn: HubFunction): { actions: string[]; resources: unknown[] } {
  const roleId = logicalId(s.stack, fn.role);
  const actions: string[] = [];
  const resources: unknown[] = [];
  for (const r of Object.values(s.resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = r.Properties?.Roles as { Ref: string }[];
    if (!roles.some((x) => x.Ref === roleId)) continue;
    const doc = r.Properties?.PolicyDocument as {
      Statement: { Effect: string; Action: string | string[]; Resource: unknown }[];
    };
    for (const st of doc.Statement) {
      if (st.Effect !== 'Allow') continue;
      actions.push(...[st.Action].flat());
      resources.push(...[st.Resource].flat());
    }
  }
  return { actions, resources };
}

const deliverWorker = workers.find((w) => w.source === 'deliveryQueue');

describe('route table and handlers', () => {
  it('names a handler file that exists and exports the handler, for every route and worker', () => {
    for (const { handler } of [...routes, ...workers]) {
      const file = entryPath(handler);
      expect(existsSync(file), `${handler.file} exists`).toBe(true);
      const source = readFileSync(file, 'utf8');
      // Read, not imported: a handler module may load its configuration when it is imported.
      const name = handler.export;
      const declared = new RegExp(`export\\s+(const|let|var|async\\s+function|function)\\s+${name}\\b`);
      const listed = new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`);
      expect(declared.test(source) || listed.test(source), `${handler.file} exports ${name}`).toBe(true);
    }
  });

  it('has a delivery worker whose timeout the queue visibility covers six times', () => {
    expect(deliverWorker).toBeDefined();
    expect(deliveryQueue.visibilityTimeoutSeconds).toBeGreaterThanOrEqual(
      6 * (deliverWorker?.timeoutSeconds ?? Infinity),
    );
  });

  it('accepts only known stages', () => {
    expect(parseStage(undefined)).toBe('test');
    expect(parseStage('prod')).toBe('prod');
    expect(() => parseStage('dev')).toThrow(/Unknown stage "dev"/);
  });
});

describe.each(['test', 'prod'] as const)('CrossdockStack (%s)', (stage) => {
  let s: Synthesized;
  const prod = stage === 'prod';

  beforeAll(() => {
    s = synth(stage);
  });

  describe('tables', () => {
    it.each(tables.map((t) => [t.id, t] as const))(
      '%s: on-demand, PITR, TTL, keys, GSIs, retained',
      (id, def) => {
        const table = s.stack.node.findChild(id);
        const r = s.resources[logicalId(s.stack, table)];
        expect(r?.Type).toBe('AWS::DynamoDB::Table');
        expect(r?.DeletionPolicy).toBe('Retain');
        expect(r?.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: def.timeToLiveAttribute, Enabled: true },
          KeySchema: [
            { AttributeName: def.partitionKey, KeyType: 'HASH' },
            { AttributeName: def.sortKey, KeyType: 'RANGE' },
          ],
        });
        const gsis = (r?.Properties?.GlobalSecondaryIndexes ?? []) as unknown[];
        expect(gsis).toHaveLength(def.globalIndexes.length);
        expect(gsis).toEqual(
          def.globalIndexes.map((g) => ({
            IndexName: g.name,
            KeySchema: [
              { AttributeName: g.partitionKey, KeyType: 'HASH' },
              { AttributeName: g.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        );
        if (prod) expect(r?.Properties?.DeletionProtectionEnabled).toBe(true);
        else expect(r?.Properties?.DeletionProtectionEnabled).not.toBe(true);
      },
    );
  });

  describe('payload bucket', () => {
    const bucketResource = () => s.resources[logicalId(s.stack, s.stack.resources.payloadBucket)];

    it('blocks public access, encrypts with SSE-S3, keeps versions, logs access, and is retained', () => {
      const r = bucketResource();
      expect(r?.DeletionPolicy).toBe('Retain');
      expect(r?.Properties).toMatchObject({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(s.stack, s.stack.node.findChild('AccessLogBucket')) },
        },
      });
    });

    it('expires each prefix of the definition, noncurrent versions, and incomplete uploads', () => {
      const lifecycle = bucketResource()?.Properties?.LifecycleConfiguration as
        | { Rules: unknown[] }
        | undefined;
      const rules = lifecycle?.Rules ?? [];
      for (const { prefix, days } of payloadBucket.expiry) {
        expect(rules).toContainEqual(
          expect.objectContaining({ Prefix: prefix, ExpirationInDays: days, Status: 'Enabled' }),
        );
      }
      expect(rules).toContainEqual(
        expect.objectContaining({
          NoncurrentVersionExpiration: { NoncurrentDays: expect.any(Number) },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        }),
      );
    });

    it('allows presigned PUT and GET from any origin (CORS)', () => {
      expect(bucketResource()?.Properties?.CorsConfiguration).toEqual({
        CorsRules: [expect.objectContaining({ AllowedMethods: ['PUT', 'GET'], AllowedOrigins: ['*'] })],
      });
    });

    it('denies every request without TLS, on every bucket', () => {
      const buckets = Object.entries(s.resources).filter(([, r]) => r.Type === 'AWS::S3::Bucket');
      for (const [id] of buckets) {
        s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: id },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
        expect(s.resources[id]?.Properties?.BucketEncryption).toBeDefined();
      }
    });
  });

  describe('delivery queue', () => {
    const queue = () => s.resources[logicalId(s.stack, s.stack.resources.deliveryQueue)];
    const dlq = () => s.resources[logicalId(s.stack, s.stack.resources.deliveryDeadLetter)];

    it('hides a message for six times the delivery worker timeout', () => {
      const visibility = queue()?.Properties?.VisibilityTimeout as number;
      expect(visibility).toBe(deliveryQueue.visibilityTimeoutSeconds);
      expect(visibility).toBeGreaterThanOrEqual(6 * (deliverWorker?.timeoutSeconds ?? Infinity));
      const workerFn = workerFunction(s.stack, deliverWorker?.id ?? 'Deliver');
      expect(workerFn).toBeDefined();
      const timeout = s.resources[logicalId(s.stack, workerFn.function)]?.Properties?.Timeout as number;
      expect(visibility).toBe(6 * timeout);
    });

    it('hides a dead letter for six times the timeout of every worker that reads it', () => {
      const visibility = dlq()?.Properties?.VisibilityTimeout as number;
      for (const worker of workers.filter((w) => w.source === 'deliveryDeadLetter')) {
        expect(visibility).toBeGreaterThanOrEqual(6 * worker.timeoutSeconds);
      }
    });

    it('redrives to its dead-letter queue, which keeps messages longer', () => {
      expect(queue()?.Properties?.RedrivePolicy).toEqual({
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalId(s.stack, s.stack.resources.deliveryDeadLetter), 'Arn'],
        },
        maxReceiveCount: deliveryQueue.maxReceiveCount,
      });
      expect(queue()?.Properties?.MessageRetentionPeriod).toBe(deliveryQueue.retentionSeconds);
      expect(dlq()?.Properties?.MessageRetentionPeriod as number).toBeGreaterThan(
        queue()?.Properties?.MessageRetentionPeriod as number,
      );
    });

    it('encrypts both queues and refuses requests without TLS', () => {
      for (const q of [queue(), dlq()]) expect(q?.Properties?.SqsManagedSseEnabled).toBe(true);
      for (const construct of [s.stack.resources.deliveryQueue, s.stack.resources.deliveryDeadLetter]) {
        s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(s.stack, construct) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('alarms as soon as anything reaches the dead-letter queue', () => {
      s.template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.resources.deliveryDeadLetter), 'QueueName'] },
          },
        ],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        Period: Match.anyValue(),
        TreatMissingData: 'notBreaching',
      });
      const alarm = Object.values(s.resources).find((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect([60, 300]).toContain(alarm?.Properties?.Period);
    });
  });

  describe('functions', () => {
    const lambdas = () => Object.values(s.resources).filter((r) => r.Type === 'AWS::Lambda::Function');

    it('has one function per route and per worker', () => {
      expect(lambdas()).toHaveLength(routes.length + workers.length);
      expect(s.stack.functions.size).toBe(routes.length + workers.length);
    });

    it('runs every function on nodejs24.x, arm64, with its own log group and the service env', () => {
      for (const fn of lambdas()) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
          Environment: {
            Variables: expect.objectContaining({
              STAGE: stage,
              POWERTOOLS_SERVICE_NAME: 'crossdock',
              POWERTOOLS_LOG_LEVEL: 'INFO',
            }),
          },
        });
      }
      const groups = Object.values(s.resources).filter((r) => r.Type === 'AWS::Logs::LogGroup');
      for (const g of groups) expect(g.Properties?.RetentionInDays).toEqual(expect.any(Number));
      for (const g of groups) expect(g.DeletionPolicy).toBe(prod ? 'Retain' : 'Delete');
    });

    it('sizes route functions from the table (memory, API-bounded timeout) and workers from their definition', () => {
      for (const route of routes) {
        const fn = routeFunction(s.stack, route.method, route.path);
        const props = s.resources[logicalId(s.stack, fn.function)]?.Properties;
        expect(props?.MemorySize, routeKey(route)).toBe(route.memoryMb ?? DEFAULT_MEMORY_MB);
        expect(props?.Timeout as number).toBeGreaterThanOrEqual(10);
        expect(props?.Timeout as number).toBeLessThanOrEqual(29);
        expect(props?.Handler).toBe(`index.${route.handler.export}`);
      }
      for (const worker of workers) {
        const fn = workerFunction(s.stack, worker.id);
        const props = s.resources[logicalId(s.stack, fn.function)]?.Properties;
        expect(props?.Timeout).toBe(worker.timeoutSeconds);
        expect(props?.MemorySize).toBe(worker.memoryMb ?? DEFAULT_MEMORY_MB);
      }
    });

    it('gives each function exactly the env vars of its uses', () => {
      const envOf = (use: ResourceUse): string => {
        const [resource] = use.split(':');
        return {
          registry: registryTable.envVar,
          messages: messagesTable.envVar,
          payloads: payloadBucket.envVar,
          deliveryQueue: deliveryQueue.envVar,
          deliveryDeadLetter: deliveryQueue.deadLetter.envVar,
          adminKey: ADMIN_KEY_SECRET_ENV,
        }[resource as string] as string;
      };
      const allResourceVars = new Set(
        (
          [
            'registry:read',
            'messages:read',
            'payloads:read',
            'deliveryQueue:send',
            'deliveryDeadLetter:consume',
            'adminKey:read',
          ] as ResourceUse[]
        ).map(envOf),
      );
      const check = (fn: HubFunction, uses: readonly ResourceUse[], label: string) => {
        const vars = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        };
        const present = Object.keys(vars.Variables)
          .filter((v) => allResourceVars.has(v))
          .sort();
        expect(present, label).toEqual([...new Set(uses.map(envOf))].sort());
      };
      for (const route of routes)
        check(routeFunction(s.stack, route.method, route.path), route.uses, routeKey(route));
      for (const worker of workers) {
        const fn = workerFunction(s.stack, worker.id);
        check(fn, worker.uses, worker.id);
        const vars = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        };
        expect(vars.Variables.PUBLIC_BASE_URL).toEqual({
          'Fn::GetAtt': [logicalId(s.stack, s.stack.api), 'ApiEndpoint'],
        });
      }
    });

    it('feeds each worker from its queue with partial batch failures', () => {
      s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', workers.length);
      for (const worker of workers) {
        const fn = workerFunction(s.stack, worker.id);
        const queue =
          worker.source === 'deliveryQueue'
            ? s.stack.resources.deliveryQueue
            : s.stack.resources.deliveryDeadLetter;
        const maxConcurrency = WORKER_MAX_CONCURRENCY[worker.id];
        s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: logicalId(s.stack, fn.function) },
          EventSourceArn: { 'Fn::GetAtt': [logicalId(s.stack, queue), 'Arn'] },
          BatchSize: worker.batchSize,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          ScalingConfig: maxConcurrency ? { MaximumConcurrency: maxConcurrency } : Match.absent(),
        });
      }
    });
  });

  describe('least privilege', () => {
    it('gives the health function nothing but its own logs', () => {
      const { actions } = policyOf(s, routeFunction(s.stack, 'GET', '/health'));
      expect(actions.filter((a) => !a.startsWith('logs:'))).toEqual([]);
      expect(actions.some((a) => a.startsWith('dynamodb:'))).toBe(false);
    });

    it('lets GET /admin/partners read the registry table and the admin key, and write nothing', () => {
      const fn = routeFunction(s.stack, 'GET', '/admin/partners');
      const { actions, resources } = policyOf(s, fn);
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'secretsmanager:GetSecretValue']),
      );
      for (const write of [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ]) {
        expect(actions).not.toContain(write);
      }
      const messages = logicalId(s.stack, s.stack.resources.messagesTable);
      expect(JSON.stringify(resources)).not.toContain(messages);
    });

    it('never grants a service a function does not use', () => {
      const services = (uses: readonly ResourceUse[]) =>
        new Set([
          'logs',
          ...uses.map((u) => {
            const [resource, access] = u.split(':');
            if (resource === 'registry' || resource === 'messages') return 'dynamodb';
            if (resource === 'payloads') return 's3';
            if (resource === 'adminKey') return 'secretsmanager';
            return access === 'send' || access === 'consume' ? 'sqs' : 'unknown';
          }),
        ]);
      const all = [
        ...routes.map((r) => [routeFunction(s.stack, r.method, r.path), r.uses] as const),
        ...workers.map((w) => [workerFunction(s.stack, w.id), w.uses] as const),
      ];
      for (const [fn, uses] of all) {
        const allowed = services(uses);
        const { actions } = policyOf(s, fn);
        for (const action of actions)
          expect(allowed.has(action.split(':')[0] as string), `${fn.node.id}: ${action}`).toBe(true);
      }
    });

    it('grants item-level DynamoDB actions only: no Scan, no streams', () => {
      for (const fn of s.stack.functions.values()) {
        const dynamo = policyOf(s, fn).actions.filter((a) => a.startsWith('dynamodb:'));
        for (const action of dynamo) {
          expect([...TABLE_WRITE_ACTIONS], `${fn.node.id}: ${action}`).toContain(action);
        }
        expect(dynamo).not.toContain('dynamodb:Scan');
      }
    });

    it('attaches no AWS managed policy to any role', () => {
      for (const r of Object.values(s.resources).filter((x) => x.Type === 'AWS::IAM::Role')) {
        expect(r.Properties?.ManagedPolicyArns).toBeUndefined();
      }
    });
  });

  describe('API', () => {
    it('has one route per route table entry, each with its own Lambda integration', () => {
      s.template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
      for (const route of routes) {
        s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: routeKey(route),
          // Auth is the handler's (see the route table's auth kind), so API Gateway lets every request in.
          AuthorizationType: 'NONE',
        });
      }
      s.template.resourceCountIs('AWS::ApiGatewayV2::Integration', routes.length);
    });

    it('throttles and access-logs the default stage', () => {
      s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: {
          ThrottlingBurstLimit: Match.anyValue(),
          ThrottlingRateLimit: Match.anyValue(),
        },
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('\\$context\\.requestId'),
        },
      });
    });

    it('outputs the API URL and the admin key secret ARN', () => {
      s.template.hasOutput('ApiUrl', {
        Value: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.api), 'ApiEndpoint'] },
      });
      s.template.hasOutput('AdminKeySecretArn', {
        Value: { Ref: logicalId(s.stack, s.stack.resources.adminKey) },
      });
    });
  });

  it('generates the admin key: 48 characters, no punctuation', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { ExcludePunctuation: true, PasswordLength: 48 },
      Name: Match.absent(),
    });
    s.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: prod ? 'Retain' : 'Delete' });
  });

  it('sets no physical name on any resource', () => {
    const nameProps: Record<string, string> = {
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::IAM::Role': 'RoleName',
      'AWS::Logs::LogGroup': 'LogGroupName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::CloudWatch::Alarm': 'AlarmName',
    };
    for (const [id, r] of Object.entries(s.resources)) {
      const prop = nameProps[r.Type];
      if (prop) expect(r.Properties?.[prop], `${id}.${prop}`).toBeUndefined();
    }
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(s.stack);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    const annotations = Annotations.fromStack(s.stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  });
});
