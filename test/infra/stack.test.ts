import { existsSync, readFileSync } from 'node:fs';
import { App, type CfnElement, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { QueueSource } from '../../functions/route-types.js';
import {
  type ResourceUse,
  type RouteDefinition,
  routes,
  schedules,
  usesOf,
  workers,
} from '../../functions/routes.js';
import { entryPath } from '../../lib/bundling.js';
import {
  DEFAULT_MEMORY_MB,
  functionId,
  type HubFunction,
  PEEK_ACTIONS,
  PRESIGN_DOWNLOAD_ACTIONS,
  PRESIGN_UPLOAD_ACTIONS,
  TABLE_WRITE_ACTIONS,
} from '../../lib/constructs/hub-function.js';
import {
  isQueueName,
  isQueueSource,
  QUEUE_SOURCES,
  queueSourceEnvVar,
  queueSourceTarget,
} from '../../lib/constructs/queue-sources.js';
import { environmentNames, type FunctionKind, TOPIC_BY_NAME } from '../../lib/function-environment.js';
import {
  DEAD_LETTER_MARKED_LOG,
  eventsTopic,
  LANDING_RETENTION_DAYS,
  MAX_RECORDS_IN_FLIGHT_ENV,
  MESSAGE_RETENTION_DAYS,
  messagesTable,
  orderedDeliveryQueue,
  packetPrefixes,
  payloadBucket,
  type QueueDefinition,
  queues,
  registryTable,
  SETTINGS,
  tables,
  topics,
} from '../../lib/resources.js';
import { CrossdockStack, MIN_DEAD_LETTER_VISIBILITY_SECONDS } from '../../lib/stack.js';
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

const jobFunction = (stack: CrossdockStack, id: string): HubFunction => {
  const fn = stack.functions.get(`${id}Job`);
  if (!fn) throw new Error(`no function for scheduled job ${id}`);
  return fn;
};

/** The Allow statements of a function's role policies, each as (actions, resources) lists. */
function statementsOf(s: Synthesized, fn: HubFunction): { actions: string[]; resources: unknown[] }[] {
  const roleId = logicalId(s.stack, fn.role);
  const statements: { actions: string[]; resources: unknown[] }[] = [];
  for (const r of Object.values(s.resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = r.Properties?.Roles as { Ref: string }[];
    if (!roles.some((x) => x.Ref === roleId)) continue;
    const doc = r.Properties?.PolicyDocument as {
      Statement: { Effect: string; Action: string | string[]; Resource: unknown }[];
    };
    for (const st of doc.Statement) {
      if (st.Effect !== 'Allow') continue;
      statements.push({ actions: [st.Action].flat(), resources: [st.Resource].flat() });
    }
  }
  return statements;
}

/** Every Allow statement of a function's role policy, flattened to (action, resource) lists. */
function policyOf(s: Synthesized, fn: HubFunction): { actions: string[]; resources: unknown[] } {
  const statements = statementsOf(s, fn);
  return {
    actions: statements.flatMap((st) => st.actions),
    resources: statements.flatMap((st) => st.resources),
  };
}

/** Every function of the stack with the uses it was built from, and its source if it is a worker. */
const allFunctions = (s: Synthesized) => [
  ...routes.map((r) => ({
    fn: routeFunction(s.stack, r.method, r.path),
    uses: usesOf(r),
    source: undefined,
  })),
  ...workers.map((w) => ({ fn: workerFunction(s.stack, w.id), uses: w.uses, source: w.source })),
  ...schedules.map((j) => ({ fn: jobFunction(s.stack, j.id), uses: j.uses, source: undefined })),
];

/** The workers that read a queue (deadLetter false) or its dead-letter queue (true). */
const consumersOf = (def: QueueDefinition, deadLetter: boolean) =>
  workers.filter((w) => {
    const target = queueSourceTarget(w.source);
    return target.definition === def && target.deadLetter === deadLetter;
  });

/** The construct of a queue source, found by the id its definition gives (not through the stack's map). */
const sourceConstruct = (stack: CrossdockStack, source: QueueSource): IConstruct => {
  const { definition, deadLetter } = queueSourceTarget(source);
  return stack.node.findChild(deadLetter ? definition.deadLetter.id : definition.id);
};

/** Every handler file named by a route or worker, with its exports. */
const handlers = [
  ...new Map(
    [...routes, ...workers].map(({ handler }) => [`${handler.file}#${handler.export}`, handler] as const),
  ).values(),
];

describe('route table and handlers', () => {
  // Infra tests skip bundling (HubFunction gives a file not written yet placeholder code), so a missing
  // handler file shows here as a skipped test rather than a failure; `cdk synth` still refuses it.
  for (const handler of handlers) {
    const file = entryPath(handler);
    it.skipIf(!existsSync(file))(`${handler.file} exports ${handler.export}`, () => {
      const source = readFileSync(file, 'utf8');
      // Read, not imported: a handler module may load its configuration when it is imported.
      const name = handler.export;
      const declared = new RegExp(`export\\s+(const|let|var|async\\s+function|function)\\s+${name}\\b`);
      const listed = new RegExp(`export\\s*\\{[^}]*\\b${name}\\b[^}]*\\}`);
      expect(declared.test(source) || listed.test(source)).toBe(true);
    });
  }

  it('gives every queue a visibility of at least six times the timeout of each worker that reads it', () => {
    for (const def of queues) {
      for (const worker of consumersOf(def, false)) {
        expect(def.visibilityTimeoutSeconds, `${def.id} / ${worker.id}`).toBeGreaterThanOrEqual(
          6 * worker.timeoutSeconds,
        );
      }
    }
  });

  it('reads every worker source and declares it as consumed, or as peeked by a sweep', () => {
    for (const worker of workers) {
      expect(isQueueSource(worker.source), worker.id).toBe(true);
      expect(worker.uses, worker.id).toContain(
        `${worker.source}:${worker.sweepEveryMinutes === undefined ? 'consume' : 'peek'}`,
      );
    }
  });

  it('sweeps the standard delivery dead-letter queue, so what it marks stays there for SQS’s redrive', () => {
    const sweepers = workers.filter((w) => w.sweepEveryMinutes !== undefined);
    expect(sweepers.map((w) => w.source)).toEqual(['deliveryDeadLetter']);
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

  it('indexes the pull deliveries waiting in an inbox (byInbox on the messages table)', () => {
    const index = messagesTable.globalIndexes.find((i) => i.name === 'byInbox');
    expect(index).toBeDefined();
    const r = s.resources[logicalId(s.stack, s.stack.resources.messagesTable)];
    expect(r?.Properties?.GlobalSecondaryIndexes).toContainEqual({
      IndexName: 'byInbox',
      KeySchema: [
        { AttributeName: index?.partitionKey, KeyType: 'HASH' },
        { AttributeName: index?.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
    for (const key of [index?.partitionKey, index?.sortKey]) {
      expect(r?.Properties?.AttributeDefinitions).toContainEqual({ AttributeName: key, AttributeType: 'S' });
    }
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

    it('keeps what presigned PUTs write as long as records made before the hub kept copies point at it', () => {
      const days = (prefix: string) => payloadBucket.expiry.find((e) => e.prefix === prefix)?.days ?? 0;
      expect(days('uploads/')).toBe(LANDING_RETENTION_DAYS.uploads);
      expect(LANDING_RETENTION_DAYS.uploads).toBe(MESSAGE_RETENTION_DAYS);
      for (const { prefix, queue } of payloadBucket.notifications) {
        expect(days(prefix) * 86_400, prefix).toBeGreaterThan(queue.retentionSeconds);
      }
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

  describe('queues', () => {
    const queueOf = (def: QueueDefinition) => s.stack.node.findChild(def.id);
    const deadLetterOf = (def: QueueDefinition) => s.stack.node.findChild(def.deadLetter.id);
    const resourceOf = (c: IConstruct) => s.resources[logicalId(s.stack, c)];
    const cases = queues.map((def) => [def.id, def] as const);

    it('builds every queue of lib/resources.ts and its dead-letter queue, and nothing else', () => {
      s.template.resourceCountIs('AWS::SQS::Queue', 2 * queues.length);
      for (const def of queues) {
        expect(resourceOf(queueOf(def))?.Type).toBe('AWS::SQS::Queue');
        expect(resourceOf(deadLetterOf(def))?.Type).toBe('AWS::SQS::Queue');
      }
    });

    it('binds every queue source to the construct its definition names', () => {
      for (const source of QUEUE_SOURCES) {
        expect(s.stack.resources.queues[source], source).toBe(sourceConstruct(s.stack, source));
      }
    });

    it.each(cases)('%s: FIFO as defined, and so is its dead-letter queue', (_, def) => {
      const fifo = def.fifo ? true : undefined;
      expect(resourceOf(queueOf(def))?.Properties?.FifoQueue).toBe(fifo);
      expect(resourceOf(deadLetterOf(def))?.Properties?.FifoQueue).toBe(fifo);
    });

    it('makes the ordered delivery queue and its dead-letter queue FIFO', () => {
      expect(orderedDeliveryQueue.fifo).toBe(true);
      expect(resourceOf(queueOf(orderedDeliveryQueue))?.Properties?.FifoQueue).toBe(true);
      expect(resourceOf(deadLetterOf(orderedDeliveryQueue))?.Properties?.FifoQueue).toBe(true);
    });

    it.each(cases)(
      '%s: hides a message for at least six times the timeout of each worker reading it',
      (_, def) => {
        const visibility = resourceOf(queueOf(def))?.Properties?.VisibilityTimeout as number;
        expect(visibility).toBe(def.visibilityTimeoutSeconds);
        for (const worker of consumersOf(def, false)) {
          expect(visibility, worker.id).toBeGreaterThanOrEqual(6 * worker.timeoutSeconds);
          const fn = workerFunction(s.stack, worker.id);
          const timeout = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Timeout as number;
          expect(visibility, worker.id).toBeGreaterThanOrEqual(6 * timeout);
        }
      },
    );

    it.each(cases)("%s: its dead-letter queue hides for six times its readers' longest timeout", (_, def) => {
      const visibility = resourceOf(deadLetterOf(def))?.Properties?.VisibilityTimeout as number;
      const readers = consumersOf(def, true);
      expect(visibility).toBe(
        Math.max(
          MIN_DEAD_LETTER_VISIBILITY_SECONDS,
          6 * Math.max(0, ...readers.map((w) => w.timeoutSeconds)),
        ),
      );
      for (const worker of readers)
        expect(visibility, worker.id).toBeGreaterThanOrEqual(6 * worker.timeoutSeconds);
    });

    it.each(cases)(
      '%s: redrives after maxReceiveCount to a dead-letter queue that keeps messages longer',
      (_, def) => {
        const queue = resourceOf(queueOf(def));
        const dlq = resourceOf(deadLetterOf(def));
        expect(queue?.Properties?.RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(s.stack, deadLetterOf(def)), 'Arn'] },
          maxReceiveCount: def.maxReceiveCount,
        });
        expect(queue?.Properties?.MessageRetentionPeriod).toBe(def.retentionSeconds);
        expect(dlq?.Properties?.MessageRetentionPeriod).toBe(def.deadLetter.retentionSeconds);
        expect(dlq?.Properties?.MessageRetentionPeriod as number).toBeGreaterThan(
          queue?.Properties?.MessageRetentionPeriod as number,
        );
        expect(dlq?.Properties?.RedrivePolicy).toBeUndefined();
      },
    );

    it.each(cases)('%s: both queues are encrypted and refuse requests without TLS', (_, def) => {
      for (const construct of [queueOf(def), deadLetterOf(def)]) {
        expect(resourceOf(construct)?.Properties?.SqsManagedSseEnabled).toBe(true);
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

    it('alarms as soon as anything reaches any dead-letter queue: one alarm per dead-letter queue', () => {
      const sweeps = workers.filter((w) => w.sweepEveryMinutes !== undefined).length;
      // Besides these: the failure-rate and oldest-undelivered alarms (describe 'monitoring').
      s.template.resourceCountIs('AWS::CloudWatch::Alarm', queues.length + sweeps + 2);
      for (const def of queues) {
        const dimensions = [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [logicalId(s.stack, deadLetterOf(def)), 'QueueName'] },
          },
        ];
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Metrics: Match.arrayWith([
            Match.objectLike({ Expression: 'waiting + received' }),
            Match.objectLike({
              Id: 'waiting',
              MetricStat: Match.objectLike({
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'ApproximateNumberOfMessagesVisible',
                  Dimensions: dimensions,
                },
              }),
            }),
            Match.objectLike({
              Id: 'received',
              MetricStat: Match.objectLike({
                Metric: {
                  Namespace: 'AWS/SQS',
                  MetricName: 'NumberOfMessagesReceived',
                  Dimensions: dimensions,
                },
              }),
            }),
          ]),
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
      }
      const monitoring = [
        logicalId(s.stack, s.stack.monitoring.failureRateAlarm),
        logicalId(s.stack, s.stack.monitoring.oldestUndeliveredAlarm),
      ];
      for (const [id, alarm] of Object.entries(s.resources)) {
        if (alarm.Type !== 'AWS::CloudWatch::Alarm' || monitoring.includes(id)) continue;
        const periods = [
          ...((alarm.Properties?.Metrics ?? []) as { MetricStat?: { Period: number } }[]).flatMap((m) =>
            m.MetricStat ? [m.MetricStat.Period] : [],
          ),
          ...(alarm.Properties?.Period === undefined ? [] : [alarm.Properties.Period as number]),
        ];
        expect(periods.length).toBeGreaterThan(0);
        for (const period of periods) expect([60, 300]).toContain(period);
      }
    });
  });

  describe('upload notifications', () => {
    const bucketId = () => logicalId(s.stack, s.stack.resources.payloadBucket);

    it('sends ObjectCreated under each notification prefix of the bucket definition to its queue', () => {
      s.template.resourceCountIs(
        'Custom::S3BucketNotifications',
        payloadBucket.notifications.length > 0 ? 1 : 0,
      );
      s.template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: { Ref: bucketId() },
        NotificationConfiguration: {
          QueueConfigurations: payloadBucket.notifications.map(({ prefix, queue }) => ({
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: prefix }] } },
            QueueArn: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.node.findChild(queue.id)), 'Arn'] },
          })),
        },
      });
    });

    it('lets S3 send to each notified queue for this bucket only', () => {
      for (const { queue } of payloadBucket.notifications) {
        expect(queue.fifo, `${queue.id}: S3 cannot notify a FIFO queue`).not.toBe(true);
        s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: logicalId(s.stack, s.stack.node.findChild(queue.id)) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Allow',
                Principal: { Service: 's3.amazonaws.com' },
                Action: Match.arrayWith(['sqs:SendMessage']),
                Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucketId(), 'Arn'] } } },
              }),
            ]),
          },
        });
      }
    });

    it("limits CDK's notifications handler to PutBucketNotification on the payload bucket", () => {
      const handlerPolicies = Object.values(s.resources).filter(
        (r) =>
          r.Type === 'AWS::IAM::Policy' &&
          JSON.stringify(r.Properties?.PolicyDocument).includes('s3:PutBucketNotification'),
      );
      expect(handlerPolicies).toHaveLength(1);
      expect(handlerPolicies[0]?.Properties?.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 's3:PutBucketNotification',
            Resource: { 'Fn::GetAtt': [bucketId(), 'Arn'] },
          },
        ],
      });
    });
  });

  describe('functions', () => {
    const lambdas = () => Object.values(s.resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    /** The one function that is CDK's, not ours: the custom resource that configures bucket notifications. */
    const isNotificationsHandler = (r: { Properties?: Record<string, unknown> }) =>
      String(r.Properties?.Description).includes('Custom::S3BucketNotifications');

    it("has one function per route handler, per worker and per scheduled job, besides CDK's bucket-notifications handler", () => {
      // Routes that name the same handler (/erp/... and /mobile/erp/...) share its function.
      const routeHandlers = new Set(routes.map((r) => functionId(r.handler))).size;
      expect(routeHandlers).toBeLessThan(routes.length);
      const expected = routeHandlers + workers.length + schedules.length;
      expect(s.stack.functions.size).toBe(expected);
      expect(lambdas().filter((r) => !isNotificationsHandler(r))).toHaveLength(expected);
      expect(lambdas().filter(isNotificationsHandler)).toHaveLength(
        payloadBucket.notifications.length > 0 ? 1 : 0,
      );
    });

    it('runs every function on nodejs24.x, arm64, with its own log group and the service env', () => {
      for (const fn of lambdas().filter((r) => !isNotificationsHandler(r))) {
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
        // Metrics are published on AWS (the local hub alone turns them off).
        expect(fn.Properties?.Environment).not.toMatchObject({
          Variables: { POWERTOOLS_METRICS_DISABLED: expect.anything() },
        });
        expect(fn.Properties?.Environment).not.toMatchObject({
          Variables: { POWERTOOLS_DEV: expect.anything() },
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

    it('gives each function exactly the variables lib/function-environment.ts names for its uses and kind', () => {
      // Set by every function alike, whatever it uses; and a consumer's in-flight bound (checked below).
      const common = new Set(['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL', MAX_RECORDS_IN_FLIGHT_ENV]);
      const check = (fn: HubFunction, uses: readonly ResourceUse[], kind: FunctionKind, label: string) => {
        const vars = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        };
        const present = Object.keys(vars.Variables)
          .filter((v) => !common.has(v))
          .sort();
        expect(present, label).toEqual(environmentNames(uses, kind));
      };
      for (const route of routes)
        check(routeFunction(s.stack, route.method, route.path), usesOf(route), 'route', routeKey(route));
      for (const job of schedules) check(jobFunction(s.stack, job.id), job.uses, 'job', job.id);
      for (const worker of workers) {
        const fn = workerFunction(s.stack, worker.id);
        check(fn, worker.uses, 'worker', worker.id);
        const vars = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        };
        expect(vars.Variables[SETTINGS.publicBaseUrl]).toEqual({
          'Fn::GetAtt': [logicalId(s.stack, s.stack.api), 'ApiEndpoint'],
        });
      }
    });

    const consumers = workers.filter((w) => w.sweepEveryMinutes === undefined);
    const sweepers = workers.filter((w) => w.sweepEveryMinutes !== undefined);

    it('feeds each consuming worker from its source with partial batch failures and its concurrency cap', () => {
      s.template.resourceCountIs('AWS::Lambda::EventSourceMapping', consumers.length);
      for (const worker of consumers) {
        const fn = workerFunction(s.stack, worker.id);
        const mappings = s.template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: logicalId(s.stack, fn.function) } },
        });
        expect(Object.values(mappings), worker.id).toEqual([
          {
            Type: 'AWS::Lambda::EventSourceMapping',
            Properties: {
              FunctionName: { Ref: logicalId(s.stack, fn.function) },
              EventSourceArn: {
                'Fn::GetAtt': [logicalId(s.stack, sourceConstruct(s.stack, worker.source)), 'Arn'],
              },
              BatchSize: worker.batchSize,
              FunctionResponseTypes: ['ReportBatchItemFailures'],
              ...(worker.maxConcurrency === undefined
                ? {}
                : { ScalingConfig: { MaximumConcurrency: worker.maxConcurrency } }),
            },
          },
        ]);
        // The mapping's bound on records in flight, which lets the delivery worker skip permits that
        // cannot bind, is the one its function is told.
        const vars = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as {
          Variables: Record<string, unknown>;
        };
        expect(vars.Variables[MAX_RECORDS_IN_FLIGHT_ENV], worker.id).toEqual(
          worker.maxConcurrency === undefined ? undefined : String(worker.maxConcurrency * worker.batchSize),
        );
      }
      expect(workers.find((w) => w.id === 'Deliver')?.maxConcurrency).toBeDefined();
    });

    it('runs each sweeping worker on its schedule, with no event source, and lets it read and hide but never delete', () => {
      for (const worker of sweepers) {
        const fn = workerFunction(s.stack, worker.id);
        // Its queue stays non-empty, so new dead letters are counted from its log and alarmed on.
        s.template.hasResourceProperties('AWS::Logs::MetricFilter', {
          LogGroupName: { Ref: logicalId(s.stack, fn.logGroup) },
          FilterPattern: `{ $.message = "${DEAD_LETTER_MARKED_LOG}" }`,
          MetricTransformations: [
            Match.objectLike({
              MetricName: `${worker.id}Marked`,
              MetricNamespace: `Crossdock/${s.stack.stage}`,
              MetricValue: '1',
            }),
          ],
        });
        s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: `${worker.id}Marked`,
          Namespace: `Crossdock/${s.stack.stage}`,
          Statistic: 'Sum',
          Period: 300,
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
        });
        const rules = s.template.findResources('AWS::Events::Rule', {
          Properties: {
            Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(s.stack, fn.function), 'Arn'] } }],
          },
        });
        expect(
          Object.values(rules).map((r) => r.Properties.ScheduleExpression),
          worker.id,
        ).toEqual([`rate(${worker.sweepEveryMinutes} minutes)`]);
        expect(
          s.template.findResources('AWS::Lambda::EventSourceMapping', {
            Properties: { FunctionName: { Ref: logicalId(s.stack, fn.function) } },
          }),
        ).toEqual({});
        const arn = { 'Fn::GetAtt': [logicalId(s.stack, sourceConstruct(s.stack, worker.source)), 'Arn'] };
        // On its own queue: peek only. (It may send to the delivery queues: a row's failed delivery is
        // written back, and the new version may trigger other sends.)
        const sqs = statementsOf(s, fn).filter(
          (st) =>
            st.actions.some((a) => a.startsWith('sqs:')) &&
            st.resources.some((r) => JSON.stringify(r) === JSON.stringify(arn)),
        );
        expect(sqs, worker.id).toEqual([{ actions: PEEK_ACTIONS, resources: [arn] }]);
        const deletes = statementsOf(s, fn).filter((st) => st.actions.includes('sqs:DeleteMessage'));
        expect(deletes, worker.id).toEqual([]);
      }
    });

    it('lets each consuming worker receive, delete and postpone (ChangeMessageVisibility) messages of its source only', () => {
      for (const worker of consumers) {
        const fn = workerFunction(s.stack, worker.id);
        const arn = { 'Fn::GetAtt': [logicalId(s.stack, sourceConstruct(s.stack, worker.source)), 'Arn'] };
        const consume = statementsOf(s, fn).filter((st) => st.actions.includes('sqs:ReceiveMessage'));
        expect(consume, worker.id).toHaveLength(1);
        expect(consume[0]?.actions).toEqual(
          expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']),
        );
        expect(consume[0]?.resources).toEqual([arn]);
      }
    });
  });

  it('runs each scheduled job from a rule at its rate, with no event source and no queue to read', () => {
    expect(schedules.map((j) => j.id)).toContain('RowSweep');
    for (const job of schedules) {
      const fn = jobFunction(s.stack, job.id);
      const rules = s.template.findResources('AWS::Events::Rule', {
        Properties: { Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(s.stack, fn.function), 'Arn'] } }] },
      });
      expect(
        Object.values(rules).map((r) => r.Properties.ScheduleExpression),
        job.id,
      ).toEqual([job.everyMinutes === 1 ? 'rate(1 minute)' : `rate(${job.everyMinutes} minutes)`]);
      expect(
        s.template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: logicalId(s.stack, fn.function) } },
        }),
      ).toEqual({});
      const receives = statementsOf(s, fn).filter((st) => st.actions.includes('sqs:ReceiveMessage'));
      expect(receives, job.id).toEqual([]);
    }
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

    it("grants SendMessage exactly on the queues of `<queue>:send` uses, and SQS on nothing else but a worker's source", () => {
      const arnOf = (source: QueueSource) => ({
        'Fn::GetAtt': [logicalId(s.stack, sourceConstruct(s.stack, source)), 'Arn'],
      });
      for (const { fn, uses, source } of allFunctions(s)) {
        const sent = uses
          .filter((u) => u.endsWith(':send'))
          .map((u) => u.slice(0, -':send'.length))
          .filter(isQueueName);
        const sqs = statementsOf(s, fn).filter((st) => st.actions.some((a) => a.startsWith('sqs:')));
        const sendTargets = sqs
          .filter((st) => st.actions.includes('sqs:SendMessage'))
          .flatMap((st) => st.resources);
        expect(sendTargets.length, fn.node.id).toBe(sent.length);
        for (const name of sent) expect(sendTargets, `${fn.node.id}: ${name}`).toContainEqual(arnOf(name));
        const allowed = [...sent, ...(source ? [source] : [])].map((q) => JSON.stringify(arnOf(q)));
        for (const resource of sqs.flatMap((st) => st.resources)) {
          expect(allowed, fn.node.id).toContain(JSON.stringify(resource));
        }
      }
    });

    const presignOnly = [...routes, ...workers].filter(
      (d) =>
        usesOf(d).includes('payloads:presignUpload') &&
        !usesOf(d).some((u) => u === 'payloads:read' || u === 'payloads:write'),
    );
    // When no route presigns uploads yet, test/infra/hub-function.test.ts covers the binding on its own.
    it.skipIf(presignOnly.length === 0)(
      'lets a presignUpload function put objects under the upload prefix and touch nothing else in S3',
      () => {
        const uploads = {
          'Fn::Join': [
            '',
            [
              { 'Fn::GetAtt': [logicalId(s.stack, s.stack.resources.payloadBucket), 'Arn'] },
              `/${payloadBucket.uploadPrefix}*`,
            ],
          ],
        };
        const checked = allFunctions(s).filter((f) => presignOnly.some((d) => usesOf(d) === f.uses));
        expect(checked).toHaveLength(presignOnly.length);
        for (const { fn, uses } of checked) {
          const s3 = statementsOf(s, fn).filter((st) => st.actions.some((a) => a.startsWith('s3:')));
          expect(s3, `${fn.node.id} (${uses.join(', ')})`).toEqual([
            { actions: PRESIGN_UPLOAD_ACTIONS, resources: [uploads] },
          ]);
        }
      },
    );

    it('lets a packets:presign* function touch S3 only for its presigned URLs under the packet prefixes', () => {
      const under = (prefix: string) => ({
        'Fn::Join': [
          '',
          [{ 'Fn::GetAtt': [logicalId(s.stack, s.stack.resources.payloadBucket), 'Arn'] }, `/${prefix}*`],
        ],
      });
      const presigning = allFunctions(s).filter(
        (f) => f.uses.some((u) => u.startsWith('packets:')) && !f.uses.some((u) => u.startsWith('payloads:')),
      );
      expect(presigning.length).toBeGreaterThan(0);
      for (const { fn, uses } of presigning) {
        const expected = [
          ...(uses.includes('packets:presignUpload')
            ? [{ actions: PRESIGN_UPLOAD_ACTIONS, resources: [under(packetPrefixes.upload)] }]
            : []),
          ...(uses.includes('packets:presignDownload')
            ? [packetPrefixes.checked, packetPrefixes.native].map((p) => ({
                actions: PRESIGN_DOWNLOAD_ACTIONS,
                resources: [under(p)],
              }))
            : []),
        ];
        const s3 = statementsOf(s, fn).filter((st) => st.actions.some((a) => a.startsWith('s3:')));
        expect(s3, fn.node.id).toEqual(expected);
      }
    });

    it('never grants a service a function does not use', () => {
      const services = (uses: readonly ResourceUse[]) =>
        new Set([
          'logs',
          ...uses.flatMap((u) => {
            const [resource, access] = u.split(':');
            if (resource === 'registry' || resource === 'messages') return ['dynamodb'];
            if (resource === 'payloads' || resource === 'packets') return ['s3'];
            if (resource === 'adminKey') return ['secretsmanager'];
            // Publishing to an encrypted topic takes a data key from the topic's KMS key.
            if (access === 'publish') return ['sns', 'kms'];
            return access === 'send' || access === 'consume' || access === 'peek' ? ['sqs'] : ['unknown'];
          }),
        ]);
      const all = [
        ...routes.map((r) => [routeFunction(s.stack, r.method, r.path), usesOf(r)] as const),
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

    it("attaches no AWS managed policy to any role but CDK's bucket-notifications handler's (its logs only)", () => {
      const handlers = s.stack.node.children.filter((c) =>
        c.node.id.startsWith('BucketNotificationsHandler'),
      );
      const exempt = new Set(handlers.map((h) => logicalId(s.stack, h.node.findChild('Role'))));
      expect(exempt.size).toBe(payloadBucket.notifications.length > 0 ? 1 : 0);
      for (const [id, r] of Object.entries(s.resources).filter(([, x]) => x.Type === 'AWS::IAM::Role')) {
        if (!exempt.has(id)) {
          expect(r.Properties?.ManagedPolicyArns, id).toBeUndefined();
          continue;
        }
        expect(r.Properties?.ManagedPolicyArns, id).toEqual([
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
              ],
            ],
          },
        ]);
      }
    });
  });

  describe('topics', () => {
    it('builds every topic of lib/resources.ts, encrypted with its own rotating key, refusing requests without TLS', () => {
      // And the alarm topic (describe 'monitoring'), which no function publishes to.
      s.template.resourceCountIs('AWS::SNS::Topic', topics.length + 1);
      for (const [name, def] of Object.entries(TOPIC_BY_NAME)) {
        const topic = s.stack.resources.topics[name as keyof typeof TOPIC_BY_NAME];
        expect(topic).toBe(s.stack.node.findChild(def.id));
        const key = s.stack.node.findChild(`${def.id}Key`);
        const r = s.resources[logicalId(s.stack, topic)];
        expect(r?.Properties?.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(s.stack, key), 'Arn'] });
        expect(s.resources[logicalId(s.stack, key)]?.Properties?.EnableKeyRotation).toBe(true);
        s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
          Topics: [{ Ref: logicalId(s.stack, topic) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            ]),
          },
        });
      }
    });

    it('lets exactly the functions with a `<topic>:publish` use publish, and nothing else reach SNS', () => {
      for (const { fn, uses } of allFunctions(s)) {
        const publishes = statementsOf(s, fn).filter((st) => st.actions.includes('sns:Publish'));
        const named = uses.filter((u) => u.endsWith(':publish'));
        expect(publishes.length, fn.node.id).toBe(named.length);
        const topicsOf = named.map((use) => {
          const topic =
            s.stack.resources.topics[use.slice(0, -':publish'.length) as keyof typeof TOPIC_BY_NAME];
          return { Ref: logicalId(s.stack, topic) };
        });
        expect(
          publishes.flatMap((st) => st.resources),
          fn.node.id,
        ).toEqual(expect.arrayContaining(topicsOf));
        expect(publishes.flatMap((st) => st.resources)).toHaveLength(topicsOf.length);
      }
    });
  });

  describe('operational events', () => {
    const eventsTopicRef = () => ({ Ref: logicalId(s.stack, s.stack.node.findChild(eventsTopic.id)) });
    const environmentOf = (fn: HubFunction): Record<string, unknown> => {
      const env = s.resources[logicalId(s.stack, fn.function)]?.Properties?.Environment as
        | { Variables: Record<string, unknown> }
        | undefined;
      return env?.Variables ?? {};
    };

    it('builds the events topic, encrypted with its own key, and keeps events in the messages table under its TTL', () => {
      const topic = s.resources[eventsTopicRef().Ref];
      expect(topic?.Type).toBe('AWS::SNS::Topic');
      expect(topic?.Properties?.KmsMasterKeyId).toBeDefined();
      const table = s.resources[logicalId(s.stack, s.stack.resources.messagesTable)];
      expect(table?.Properties?.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiresAt',
        Enabled: true,
      });
      expect(messagesTable.timeToLiveAttribute).toBe('expiresAt');
    });

    it('lets exactly the functions that emit events publish to the events topic, and GET /admin/events only read', () => {
      const emitters = [
        'Deliver',
        'DeliverOrdered',
        'DeadLetter',
        'OrderedDeadLetter',
        'PacketLanded',
        'PacketDeadLetter',
      ];
      const publishers = allFunctions(s)
        .filter(({ fn }) =>
          statementsOf(s, fn).some(
            (st) =>
              st.actions.includes('sns:Publish') &&
              st.resources.some((r) => JSON.stringify(r) === JSON.stringify(eventsTopicRef())),
          ),
        )
        .map(({ fn }) => fn.node.id)
        .sort();
      // POST /v1/enablements tells the operator of an enablement waiting for consent; enabling an
      // integration again tells integration.enabled (its function also serves rotate-secret, listed
      // once per route).
      const enable = routeFunction(s.stack, 'POST', '/v1/enablements');
      const enableIntegration = routeFunction(s.stack, 'POST', '/admin/integrations/{id}/enable');
      expect(routeFunction(s.stack, 'POST', '/admin/integrations/{id}/rotate-secret')).toBe(
        enableIntegration,
      );
      expect(publishers).toEqual(
        [
          ...emitters.map((id) => `${id}Worker`),
          enable.node.id,
          enableIntegration.node.id,
          enableIntegration.node.id,
        ].sort(),
      );
      for (const id of emitters) {
        expect(environmentOf(workerFunction(s.stack, id))[eventsTopic.envVar], id).toEqual(eventsTopicRef());
      }
      const reader = routeFunction(s.stack, 'GET', '/admin/events');
      const { actions } = policyOf(s, reader);
      expect(actions.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual(
        ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'].sort(),
      );
      expect(actions.some((a) => a.startsWith('sns:') || a.startsWith('kms:'))).toBe(false);
      expect(environmentOf(reader)[eventsTopic.envVar]).toBeUndefined();
    });
  });

  describe('monitoring', () => {
    const stageDimension = [{ Name: 'stage', Value: stage }];
    const topicRef = () => ({ Ref: logicalId(s.stack, s.stack.monitoring.alarmTopic) });
    const deadLetterOf = (def: QueueDefinition) => s.stack.node.findChild(def.deadLetter.id);
    const alarm = (construct: IConstruct) => s.resources[logicalId(s.stack, construct)]?.Properties ?? {};

    /** The dashboard's body, with each reference to a resource written as its logical id. */
    const dashboardBody = () => {
      const [id] = Object.entries(s.resources).find(([, r]) => r.Type === 'AWS::CloudWatch::Dashboard') ?? [];
      const body = s.resources[id ?? '']?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
      const text = body['Fn::Join'][1]
        .map((part) => {
          if (typeof part === 'string') return part;
          const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
          return ref.Ref ?? ref['Fn::GetAtt']?.[0] ?? '';
        })
        .join('');
      return JSON.parse(text) as {
        widgets: { properties: { title: string; metrics: unknown[][] } }[];
      };
    };

    it('builds one dashboard charting every contract metric in namespace Crossdock by stage, the failure rate and the DLQ depths', () => {
      s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const { widgets } = dashboardBody();
      const titles = widgets.map((w) => w.properties.title);
      expect(titles).toEqual([
        'Messages and deliveries (per 5 min)',
        'Failure rate (%)',
        'Sync packets (per 5 min)',
        'Attempt latency (ms)',
        'Delivery age, accept → delivered (ms)',
        'Oldest undelivered delivery (s)',
        'Dead-letter queues (messages waiting)',
      ]);
      const charted = widgets.flatMap((w) => w.properties.metrics);
      const hub = (name: string, stat: string) =>
        charted.some(
          (m) =>
            m[0] === 'Crossdock' &&
            m[1] === name &&
            m[2] === 'stage' &&
            m[3] === stage &&
            (m[4] as { stat?: string }).stat === stat,
        );
      for (const [name, stat] of [
        ['MessagesAccepted', 'Sum'],
        ['DeliveriesDelivered', 'Sum'],
        ['DeliveriesFailed', 'Sum'],
        ['PacketsConverted', 'Sum'],
        ['PacketsFailed', 'Sum'],
        ['AttemptLatencyMs', 'p50'],
        ['AttemptLatencyMs', 'p99'],
        ['DeliveryAgeMs', 'p99'],
        ['OldestUndeliveredAgeMs', 'Maximum'],
      ] as const) {
        expect(hub(name, stat), `${name} ${stat}`).toBe(true);
      }
      const rate = widgets.find((w) => w.properties.title === 'Failure rate (%)')?.properties.metrics ?? [];
      expect(rate[0]?.[0]).toMatchObject({ expression: expect.stringContaining('100 * FILL(failed, 0)') });
      const depths =
        widgets.find((w) => w.properties.title.startsWith('Dead-letter'))?.properties.metrics ?? [];
      expect(depths.map((m) => [m[0], m[1], m[3]])).toEqual(
        queues.map((def) => [
          'AWS/SQS',
          'ApproximateNumberOfMessagesVisible',
          logicalId(s.stack, deadLetterOf(def)),
        ]),
      );
    });

    it('alarms on the failure rate: failed / (delivered + failed) over 15 minutes above 10 %, from 20 ended deliveries', () => {
      expect(alarm(s.stack.monitoring.failureRateAlarm)).toMatchObject({
        Threshold: 10,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({
            Expression:
              'IF((FILL(delivered, 0) + FILL(failed, 0)) >= 20, 100 * FILL(failed, 0) / (FILL(delivered, 0) + FILL(failed, 0)), 0)',
            ReturnData: true,
          }),
        ]),
        Threshold: 10,
      });
      const metrics = alarm(s.stack.monitoring.failureRateAlarm).Metrics as { Id: string }[];
      expect(metrics.find((m) => m.Id === 'failed')).toEqual(
        expect.objectContaining({
          MetricStat: {
            Metric: { Namespace: 'Crossdock', MetricName: 'DeliveriesFailed', Dimensions: stageDimension },
            Period: 900,
            Stat: 'Sum',
          },
        }),
      );
      expect(metrics.find((m) => m.Id === 'delivered')).toEqual(
        expect.objectContaining({
          MetricStat: {
            Metric: { Namespace: 'Crossdock', MetricName: 'DeliveriesDelivered', Dimensions: stageDimension },
            Period: 900,
            Stat: 'Sum',
          },
        }),
      );
    });

    it('alarms when the oldest undelivered delivery (retrying or held rows, or an unclaimed job) is older than an hour', () => {
      const props = alarm(s.stack.monitoring.oldestUndeliveredAlarm);
      expect(props).toMatchObject({
        Threshold: 3600,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      const metrics = props.Metrics as { Id: string; Expression?: string; MetricStat?: unknown }[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe(
        'MAX([FILL(rows, 0) / 1000, FILL(queue0, 0), FILL(queue1, 0)])',
      );
      expect(metrics.find((m) => m.Id === 'rows')?.MetricStat).toEqual({
        Metric: { Namespace: 'Crossdock', MetricName: 'OldestUndeliveredAgeMs', Dimensions: stageDimension },
        Period: 300,
        Stat: 'Maximum',
      });
      const queueAges = metrics.filter((m) => m.Id.startsWith('queue')).map((m) => m.MetricStat);
      expect(queueAges).toEqual(
        [s.stack.resources.queues.deliveryQueue, s.stack.resources.queues.orderedDeliveryQueue].map((q) => ({
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateAgeOfOldestMessage',
            Dimensions: [
              { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s.stack, q), 'QueueName'] } },
            ],
          },
          Period: 300,
          Stat: 'Maximum',
        })),
      );
    });

    it('sends every alarm of the stack, the dead-letter alarms included, to the alarm topic, in alarm and back to OK', () => {
      const alarms = Object.values(s.resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      expect(alarms.length).toBeGreaterThan(2);
      for (const a of alarms) {
        expect(a.Properties?.AlarmActions).toEqual([topicRef()]);
        expect(a.Properties?.OKActions).toEqual([topicRef()]);
      }
    });

    it('encrypts the alarm topic with its own rotating key that CloudWatch may use, refuses requests without TLS, and lets only this account’s alarms publish', () => {
      const topic = s.resources[topicRef().Ref]?.Properties ?? {};
      const keyId = (topic.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const key = s.resources[keyId];
      expect(key?.Properties?.EnableKeyRotation).toBe(true);
      expect(key?.DeletionPolicy).toBe(prod ? 'Retain' : 'Delete');
      const fromAlarms = {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': Match.anyValue() },
      };
      const keyPolicy = key?.Properties?.KeyPolicy as { Statement: unknown[] } | undefined;
      expect(keyPolicy?.Statement).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: expect.objectContaining({ StringEquals: fromAlarms.StringEquals }),
      });
      s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [topicRef()],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: fromAlarms,
            }),
          ]),
        },
      });
      s.template.hasOutput('AlarmTopicArn', { Value: topicRef() });
    });

    it('gives the functions that emit metrics no extra permission: EMF lines are log lines', () => {
      for (const { fn } of allFunctions(s)) {
        const { actions } = policyOf(s, fn);
        expect(
          actions.filter((a) => a.startsWith('cloudwatch:')),
          fn.node.id,
        ).toEqual([]);
      }
      // The emitters' logs go to their own log group only, as every function's do.
      for (const fn of [
        workerFunction(s.stack, 'Deliver'),
        workerFunction(s.stack, 'PacketLanded'),
        jobFunction(s.stack, 'RowSweep'),
        routeFunction(s.stack, 'POST', '/v1/messages'),
      ]) {
        const logs = statementsOf(s, fn).filter((st) => st.actions.some((a) => a.startsWith('logs:')));
        expect(logs.flatMap((st) => st.resources)).toEqual([
          { 'Fn::GetAtt': [logicalId(s.stack, fn.logGroup), 'Arn'] },
        ]);
      }
    });

    it('stays well under CloudFormation’s 500 resources', () => {
      expect(Object.keys(s.resources).length).toBeLessThanOrEqual(470);
    });
  });

  describe('API', () => {
    it('serves routes that share a handler (/erp and /mobile/erp) from one function', () => {
      const shared = routes.filter((r) => r.path.startsWith('/mobile/erp/'));
      expect(shared.length).toBeGreaterThan(0);
      for (const alias of shared) {
        const original = routes.find((r) => r.method === alias.method && `/mobile${r.path}` === alias.path);
        expect(original, routeKey(alias)).toBeDefined();
        expect(routeFunction(s.stack, alias.method, alias.path)).toBe(
          routeFunction(s.stack, alias.method, original?.path ?? ''),
        );
      }
    });

    it('has one route per route table entry, and one integration and invoke permission per function', () => {
      s.template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
      for (const route of routes) {
        s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          RouteKey: routeKey(route),
          // Auth is the handler's (see the route table's auth kind), so API Gateway lets every request in.
          AuthorizationType: 'NONE',
        });
      }
      // Routes of one function share its integration and one API-wide permission (a route costs the
      // stack one resource): each route still reaches its own function.
      const routeFunctions = new Set(routes.map((r) => functionId(r.handler))).size;
      s.template.resourceCountIs('AWS::ApiGatewayV2::Integration', routeFunctions);
      const apiPermissions = Object.values(
        s.template.findResources('AWS::Lambda::Permission', {
          Properties: { Principal: 'apigateway.amazonaws.com' },
        }),
      );
      expect(apiPermissions).toHaveLength(routeFunctions);
      for (const p of apiPermissions) {
        expect(JSON.stringify(p.Properties.SourceArn)).toMatch(/\/\*\/\*\/\*"/);
      }
      for (const route of routes) {
        const fn = s.stack.functions.get(functionId(route.handler));
        if (!fn) throw new Error(`no function for ${routeKey(route)}`);
        const integrations = Object.keys(
          s.template.findResources('AWS::ApiGatewayV2::Integration', {
            Properties: {
              IntegrationUri: { 'Fn::GetAtt': [logicalId(s.stack, fn.function), 'Arn'] },
            },
          }),
        );
        expect(integrations, routeKey(route)).toHaveLength(1);
        // The route's target is that function's integration, not another's.
        const [target] = Object.values(
          s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey(route) } }),
        ).map((r) => JSON.stringify(r.Properties.Target));
        expect(target, routeKey(route)).toBe(
          JSON.stringify({ 'Fn::Join': ['', ['integrations/', { Ref: integrations[0] }]] }),
        );
      }
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

    it('outputs the API URL, the events topic ARN and the admin key secret ARN', () => {
      s.template.hasOutput('ApiUrl', {
        Value: { 'Fn::GetAtt': [logicalId(s.stack, s.stack.api), 'ApiEndpoint'] },
      });
      s.template.hasOutput('AdminKeySecretArn', {
        Value: { Ref: logicalId(s.stack, s.stack.resources.adminKey) },
      });
      s.template.hasOutput('EventsTopicArn', {
        Value: { Ref: logicalId(s.stack, s.stack.resources.topics.eventsTopic) },
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
      'AWS::SNS::Topic': 'TopicName',
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
