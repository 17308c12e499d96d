import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  HttpMethods,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { recordsInFlight } from '../functions/core/delivery-policy.js';
import type { QueueSource, TopicName } from '../functions/route-types.js';
import {
  type ResourceUse,
  type RouteDefinition,
  routes,
  type ScheduledJobDefinition,
  schedules,
  usesOf,
  type WorkerDefinition,
  workers,
} from '../functions/routes.js';
import {
  functionId,
  HubFunction,
  type HubFunctionProps,
  type HubResources,
} from './constructs/hub-function.js';
import { Monitoring } from './constructs/monitoring.js';
import { checkQueueSources, QUEUE_SOURCES, queueSourceTarget } from './constructs/queue-sources.js';
import { TOPIC_BY_NAME } from './function-environment.js';
import {
  API_ACCESS_LOG_FIELDS,
  type BucketDefinition,
  DEAD_LETTER_MARKED_LOG,
  deliveryQueue as deliveryQueueDef,
  MAX_RECORDS_IN_FLIGHT_ENV,
  messagesTable as messagesTableDef,
  orderedDeliveryQueue as orderedDeliveryQueueDef,
  payloadBucket as payloadBucketDef,
  type QueueDefinition,
  queues,
  registryTable as registryTableDef,
  SETTINGS,
  type TableDefinition,
  type TopicDefinition,
  tables,
  topics,
} from './resources.js';
import type { StageName } from './stage.js';

/** Timeout of the HTTP functions: under API Gateway's 30 s integration limit, with room for a slow partner lookup. */
export const API_FUNCTION_TIMEOUT_SECONDS = 15;

/** The least visibility timeout of a dead-letter queue that no worker reads (SQS's default). */
export const MIN_DEAD_LETTER_VISIBILITY_SECONDS = 30;

/** Default-stage throttling for the whole API (requests per second; burst). */
export const API_THROTTLE = { rateLimit: 100, burstLimit: 200 } as const;

/** Versions replaced or deleted in the payload bucket are kept this long, then expire. */
export const NONCURRENT_VERSION_DAYS = 7;

export interface CrossdockStackProps extends StackProps {
  readonly stage: StageName;
}

/**
 * One stage of the hub. Every table, queue and bucket comes from lib/resources.ts, and every function
 * and route from functions/routes.ts; nothing here names a physical resource, so stages never collide.
 */
export class CrossdockStack extends Stack {
  readonly stage: StageName;
  readonly api: HttpApi;
  readonly resources: HubResources;
  /** Functions by construct id: one per route (functionId of its handler) and one per worker (`<id>Worker`). */
  readonly functions = new Map<string, HubFunction>();
  /** The dashboard, the metric alarms and the alarm topic (lib/constructs/monitoring.ts). */
  readonly monitoring: Monitoring;
  private readonly visibilitySeconds = new Map<Queue, number>();
  /** Routes that share a handler share its function, its grants and its API integration. */
  private readonly routeFunctions = new Map<
    string,
    { uses: readonly ResourceUse[]; integration: HttpLambdaIntegration }
  >();

  constructor(scope: Construct, id: string, props: CrossdockStackProps) {
    super(scope, id, props);
    // Access-log delivery by bucket policy rather than the legacy ACL, so the log bucket can keep ACLs disabled.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.stage = props.stage;
    const prod = props.stage === 'prod';

    const tablesByDef = new Map<TableDefinition, Table>();
    for (const def of tables) tablesByDef.set(def, this.table(def, prod));
    checkQueueSources(queues);
    const queuesByDef = new Map<QueueDefinition, { queue: Queue; deadLetter: Queue }>();
    for (const def of queues) queuesByDef.set(def, this.queueWithDeadLetter(def));
    const payloads = this.payloadBucket(payloadBucketDef, queuesByDef);

    const adminKey = new Secret(this, 'AdminKey', {
      description: `Crossdock ${props.stage} admin API key: the SecretString is the bearer token itself.`,
      generateSecretString: { excludePunctuation: true, passwordLength: 48 },
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(adminKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The admin key is rotated by the operator (put a new secret value; functions re-read it within five minutes); a rotation Lambda is out of scope.',
    });

    this.resources = {
      registryTable: required(tablesByDef.get(registryTableDef), registryTableDef.id),
      messagesTable: required(tablesByDef.get(messagesTableDef), messagesTableDef.id),
      payloadBucket: payloads,
      queues: Object.fromEntries(
        QUEUE_SOURCES.map((source) => {
          const { definition, deadLetter } = queueSourceTarget(source);
          const built = required(queuesByDef.get(definition), definition.id);
          return [source, deadLetter ? built.deadLetter : built.queue];
        }),
      ) as Record<QueueSource, Queue>,
      adminKey,
      topics: this.buildTopics(prod),
    };

    this.api = this.httpApi(prod);
    for (const route of routes) this.route(route);
    for (const worker of workers) this.worker(worker);
    for (const job of schedules) this.scheduledJob(job);

    // The dashboard, the metric alarms and the alarm topic, which every alarm of the stack notifies.
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: props.stage,
      deliveryQueues: [deliveryQueueDef, orderedDeliveryQueueDef].map((def) => ({
        id: def.id,
        queue: required(queuesByDef.get(def), def.id).queue,
      })),
      deadLetters: queues.map((def) => ({
        id: def.deadLetter.id,
        queue: required(queuesByDef.get(def), def.id).deadLetter,
      })),
    });
    this.monitoring.notifyAll(this);

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Base URL of the Crossdock API',
    });
    new CfnOutput(this, 'EventsTopicArn', {
      value: this.resources.topics.eventsTopic.topicArn,
      description:
        'SNS topic of operational events (message attribute `type`); subscribe with a filter policy on it',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.alarmTopic.topicArn,
      description:
        'SNS topic every alarm of the stage notifies (in alarm and back to OK); subscribe the on-call to it',
    });
    new CfnOutput(this, 'AdminKeySecretArn', {
      value: adminKey.secretArn,
      description:
        'Secrets Manager secret holding the admin key (read it with get-secret-value; never printed here)',
    });
  }

  private table(def: TableDefinition, prod: boolean): Table {
    const table = new Table(this, def.id, {
      partitionKey: { name: def.partitionKey, type: AttributeType.STRING },
      sortKey: { name: def.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: def.timeToLiveAttribute,
      deletionProtection: prod,
      // Data is never destroyed with a stack, not even a test stack's.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of def.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }

  private payloadBucket(
    def: BucketDefinition,
    queuesByDef: ReadonlyMap<QueueDefinition, { queue: Queue }>,
  ): Bucket {
    const accessLogs = new Bucket(this, 'AccessLogBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Server access log delivery supports SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'ExpireAccessLogs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // cdk-nag's S1 accepts a bucket that receives another bucket's access logs, so no acknowledgement here.

    const lifecycleRules: LifecycleRule[] = [
      {
        id: 'NoncurrentVersionsAndIncompleteUploads',
        noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
        expiredObjectDeleteMarker: true,
      },
      ...def.expiry.map(
        ({ prefix, days }): LifecycleRule => ({
          id: `Expire-${prefix.replace(/[^A-Za-z0-9]+/g, '')}`,
          prefix,
          expiration: Duration.days(days),
        }),
      ),
    ];

    const bucket = new Bucket(this, def.id, {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: `${def.id}/`,
      // Devices and browser apps PUT and GET documents directly with presigned URLs. The signature is
      // the authorisation (any origin may present one, none can forge one), so CORS allows any origin
      // for exactly those two methods; the bucket stays private and TLS-only.
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
          allowedOrigins: ['*'],
          allowedHeaders: ['*'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const { prefix, queue: queueDef } of def.notifications) {
      // S3 event notifications cannot target a FIFO queue.
      if (queueDef.fifo)
        throw new Error(`${def.id} cannot notify ${queueDef.id}: S3 does not send to FIFO queues.`);
      const { queue } = required(queuesByDef.get(queueDef), queueDef.id);
      // Adds a queue policy that lets s3.amazonaws.com send from this bucket only (aws:SourceArn).
      bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(queue), { prefix });
    }
    if (def.notifications.length > 0) this.acknowledgeNotificationsHandler();
    return bucket;
  }

  /**
   * Bucket notifications are configured by a CDK custom resource whose Lambda (one per stack, run only
   * at deploy time) has a role CDK builds with AWSLambdaBasicExecutionRole. Its other permission,
   * s3:PutBucketNotification, CDK already limits to the buckets that have notifications.
   */
  private acknowledgeNotificationsHandler(): void {
    const handler = this.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (!handler) throw new Error('CDK did not create the bucket notifications handler where expected.');
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "The role of CDK's bucket-notifications custom resource handler (deploy time only, not ours to shape); the managed policy only lets it write its own logs.",
    });
  }

  private queueWithDeadLetter(def: QueueDefinition): { queue: Queue; deadLetter: Queue } {
    if (def.deadLetter.retentionSeconds <= def.retentionSeconds) {
      throw new Error(
        `${def.deadLetter.id} must keep messages longer than ${def.id} (${def.deadLetter.retentionSeconds} s ≤ ${def.retentionSeconds} s).`,
      );
    }
    // Queues carry ids and attempt counts, never payloads; what reaches a dead-letter queue is marked
    // failed in the messages table by its dead-letter worker, so deleting a stage's queues loses no data.
    // The definition gives no visibility for the dead-letter queue: house rule 4 (at least 6× the
    // consumer's timeout) is derived from the workers that read it.
    const deadLetterSource = deadLetterSourceOf(def);
    const deadLetterVisibility = Math.max(
      MIN_DEAD_LETTER_VISIBILITY_SECONDS,
      6 * Math.max(0, ...consumerTimeouts(deadLetterSource)),
    );
    // A FIFO queue's dead-letter queue must be FIFO too. Without a physical name, CloudFormation
    // generates both names with the `.fifo` suffix.
    const fifo = def.fifo ? { fifo: true } : {};
    const deadLetter = new Queue(this, def.deadLetter.id, {
      ...fifo,
      visibilityTimeout: Duration.seconds(deadLetterVisibility),
      retentionPeriod: Duration.seconds(def.deadLetter.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new Queue(this, def.id, {
      ...fifo,
      visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(def.retentionSeconds),
      deadLetterQueue: { queue: deadLetter, maxReceiveCount: def.maxReceiveCount },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.visibilitySeconds.set(queue, def.visibilityTimeoutSeconds);
    this.visibilitySeconds.set(deadLetter, deadLetterVisibility);
    const readers = workers.filter((w) => w.source === deadLetterSource);
    const swept = readers.some((w) => w.sweepEveryMinutes !== undefined);
    new Alarm(this, `${def.deadLetter.id}Alarm`, {
      alarmDescription: `Messages are waiting in ${def.deadLetter.id}: messages of ${def.id} crashed or were poisoned ${readers.length > 0 ? `(see the logs of ${readers.map((w) => w.id).join(', ')})` : '(no worker reads it: inspect and redrive by hand)'}.${swept ? ' They stay there, marked failed, until redriven (SQS DLQ redrive) or purged.' : ''}`,
      // A consuming dead-letter worker drains its queue within seconds, so messages waiting there are
      // rarely seen by a one-minute sample; any receive from the queue counts as well.
      metric: new MathExpression({
        expression: 'waiting + received',
        label: `${def.deadLetter.id} arrivals`,
        period: Duration.minutes(1),
        usingMetrics: {
          waiting: deadLetter.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: Stats.MAXIMUM,
          }),
          received: deadLetter.metricNumberOfMessagesReceived({
            period: Duration.minutes(1),
            statistic: Stats.SUM,
          }),
        },
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    return { queue, deadLetter };
  }

  private httpApi(prod: boolean): HttpApi {
    const api = new HttpApi(this, 'Api', {
      apiName: this.stackName,
      description: `Crossdock ${this.stage} API`,
      createDefaultStage: false,
    });
    // The route handlers authenticate (admin key or partner API key, per the route table's auth kind),
    // because the hub's auth answers in each face's own error shape and keys live in the registry table.
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Authentication is done in each handler (admin bearer key or partner API key, per the route table), not by an API Gateway authorizer.',
    });

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: prod ? RetentionDays.ONE_YEAR : RetentionDays.ONE_MONTH,
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: API_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(API_ACCESS_LOG_FIELDS)),
      },
    });
    return api;
  }

  /**
   * Every topic of lib/resources.ts, each encrypted with its own rotating KMS key (the publish grant
   * covers the key) and refusing requests without TLS.
   */
  private buildTopics(prod: boolean): Record<TopicName, Topic> {
    const built = new Map<TopicDefinition, Topic>();
    for (const def of topics) {
      const masterKey = new Key(this, `${def.id}Key`, {
        description: `Crossdock ${this.stage} ${def.id}: encrypts its messages at rest`,
        enableKeyRotation: true,
        removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      built.set(def, new Topic(this, def.id, { masterKey, enforceSSL: true }));
    }
    const named = Object.values(TOPIC_BY_NAME);
    const unnamed = topics.filter((def) => !named.includes(def)).map((def) => def.id);
    if (unnamed.length > 0) {
      throw new Error(
        `Topics without a name in TOPIC_BY_NAME (lib/function-environment.ts): ${unnamed.join(', ')}.`,
      );
    }
    return Object.fromEntries(
      Object.entries(TOPIC_BY_NAME).map(([name, def]) => [name, required(built.get(def), def.id)]),
    ) as Record<TopicName, Topic>;
  }

  private route(route: RouteDefinition): void {
    const consumed = usesOf(route).filter((u) => u.endsWith(':consume'));
    if (consumed.length > 0) {
      throw new Error(`Route ${route.method} ${route.path} cannot consume a queue (${consumed.join(', ')}).`);
    }
    // Routes naming the same handler (seed 003's /erp/... and /mobile/erp/...) share one function, so
    // they must ask for the same resources.
    const id = functionId(route.handler);
    const shared = this.routeFunctions.get(id);
    if (shared && [...shared.uses].sort().join() !== [...usesOf(route)].sort().join()) {
      throw new Error(
        `Routes sharing ${route.handler.file}#${route.handler.export} must declare the same uses (${route.method} ${route.path}).`,
      );
    }
    // One integration and one invoke permission per function, shared by all its routes (the permission
    // names the API, not a route): a route then costs the stack one resource, not three.
    const integration = shared?.integration ?? this.routeFunction(id, route).integration;
    this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
  }

  /** The function of a handler's routes, made for its first route, with its shared API integration. */
  private routeFunction(id: string, route: RouteDefinition) {
    const fn = this.addFunction(id, {
      handler: route.handler,
      uses: usesOf(route),
      timeoutSeconds: API_FUNCTION_TIMEOUT_SECONDS,
      ...(route.memoryMb ? { memoryMb: route.memoryMb } : {}),
      // What any route of the function ships (the console's files), the function has.
      ships: [...new Set(routes.filter((r) => functionId(r.handler) === id).flatMap((r) => r.ships ?? []))],
      description: `${route.method} ${route.path}: ${route.summary}`,
    });
    const made = {
      uses: usesOf(route),
      integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.function, {
        scopePermissionToRoute: false,
      }),
    };
    this.routeFunctions.set(id, made);
    return made;
  }

  /** A job with no queue behind it: a function and the rule that runs it. */
  private scheduledJob(job: ScheduledJobDefinition): void {
    const fn = this.addFunction(`${job.id}Job`, {
      handler: job.handler,
      uses: job.uses,
      timeoutSeconds: job.timeoutSeconds,
      ...(job.memoryMb ? { memoryMb: job.memoryMb } : {}),
      description: `Scheduled job ${job.id} (every ${job.everyMinutes} min)`,
    });
    fn.addEnvironment(SETTINGS.publicBaseUrl, this.api.apiEndpoint);
    new Rule(this, `${job.id}Schedule`, {
      description: `Runs scheduled job ${job.id}`,
      schedule: Schedule.rate(Duration.minutes(job.everyMinutes)),
      targets: [new LambdaFunction(fn.function, { retryAttempts: 0 })],
    });
  }

  private worker(worker: WorkerDefinition): void {
    const queue = this.resources.queues[worker.source];
    const visibility = this.visibilitySeconds.get(queue) ?? 0;
    if (visibility < 6 * worker.timeoutSeconds) {
      throw new Error(
        `${worker.id}: the visibility timeout of its queue (${visibility} s) must be at least 6 × its timeout (${worker.timeoutSeconds} s).`,
      );
    }
    const sweeps = worker.sweepEveryMinutes !== undefined;
    const needs = `${worker.source}:${sweeps ? 'peek' : 'consume'}`;
    if (!(worker.uses as readonly string[]).includes(needs)) {
      throw new Error(`Worker ${worker.id} reads ${worker.source} but does not declare '${needs}'.`);
    }
    const fn = this.addFunction(`${worker.id}Worker`, {
      handler: worker.handler,
      uses: worker.uses,
      timeoutSeconds: worker.timeoutSeconds,
      ...(worker.memoryMb ? { memoryMb: worker.memoryMb } : {}),
      description: `Worker ${worker.id} (${worker.source})`,
    });
    // Links in notify webhooks point at the API. Workers are not behind the API, so this adds no cycle.
    fn.addEnvironment(SETTINGS.publicBaseUrl, this.api.apiEndpoint);
    // What the event source can have in flight at once: the delivery worker needs no in-flight permits
    // for an integration whose batchSize is at least this (functions/core/delivery-policy.ts).
    if (worker.maxConcurrency !== undefined) {
      fn.addEnvironment(
        MAX_RECORDS_IN_FLIGHT_ENV,
        String(recordsInFlight(worker.maxConcurrency, worker.batchSize)),
      );
    }
    if (sweeps) {
      if (queueSourceTarget(worker.source).definition.fifo) {
        throw new Error(
          `${worker.id}: a FIFO queue shows a reader only the head of each group, so ${worker.source} cannot be swept.`,
        );
      }
      // The swept queue stays non-empty until the operator redrives or purges it, so its depth alarm
      // stays raised; this one fires for each sweep that marks a new dead letter.
      const marked = fn.logGroup.addMetricFilter(`${worker.id}MarkedFilter`, {
        filterPattern: FilterPattern.stringValue('$.message', '=', DEAD_LETTER_MARKED_LOG),
        metricNamespace: `Crossdock/${this.stage}`,
        metricName: `${worker.id}Marked`,
        metricValue: '1',
      });
      new Alarm(this, `${worker.id}MarkedAlarm`, {
        alarmDescription: `${worker.id} marked deliveries failed whose jobs reached ${worker.source} (see its logs); the jobs wait there for an SQS redrive or POST /admin/messages/{id}/retry.`,
        metric: marked.metric({ statistic: Stats.SUM, period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      // A schedule instead of an event source: the worker reads the queue itself and deletes nothing.
      new Rule(this, `${worker.id}Schedule`, {
        description: `Runs worker ${worker.id}, which sweeps ${worker.source}`,
        schedule: Schedule.rate(Duration.minutes(worker.sweepEveryMinutes ?? 5)),
        targets: [new LambdaFunction(fn.function, { retryAttempts: 0 })],
      });
      return;
    }
    // The event source grants the consumption (receive, delete, ChangeMessageVisibility) on this queue
    // only. maxConcurrency caps a backlog's fan-out, so it cannot flood partners' endpoints or eat the
    // account's concurrency; on a FIFO queue ordering per message group holds whatever the cap.
    fn.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: worker.batchSize,
        reportBatchItemFailures: true,
        ...(worker.maxConcurrency === undefined ? {} : { maxConcurrency: worker.maxConcurrency }),
      }),
    );
  }

  private addFunction(id: string, props: Omit<HubFunctionProps, 'stage' | 'resources'>): HubFunction {
    if (this.functions.has(id)) {
      throw new Error(
        `Two functions would share the construct id ${id}: give each route its own handler export.`,
      );
    }
    const fn = new HubFunction(this, id, { ...props, stage: this.stage, resources: this.resources });
    this.functions.set(id, fn);
    return fn;
  }
}

/** Timeouts of the workers that read a queue. */
const consumerTimeouts = (source: QueueSource): number[] =>
  workers.filter((w) => w.source === source).map((w) => w.timeoutSeconds);

/** The name workers consume a queue's dead-letter queue under. */
function deadLetterSourceOf(def: QueueDefinition): QueueSource {
  const source = QUEUE_SOURCES.find((s) => {
    const target = queueSourceTarget(s);
    return target.deadLetter && target.definition === def;
  });
  if (!source) throw new Error(`${def.deadLetter.id} has no name in lib/constructs/queue-sources.ts.`);
  return source;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not defined in lib/resources.ts.`);
  return value;
}
