import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { type RouteDefinition, routes, type WorkerDefinition, workers } from '../functions/routes.js';
import {
  functionId,
  HubFunction,
  type HubFunctionProps,
  type HubResources,
} from './constructs/hub-function.js';
import {
  type BucketDefinition,
  deliveryQueue as deliveryQueueDef,
  messagesTable as messagesTableDef,
  payloadBucket as payloadBucketDef,
  type QueueDefinition,
  registryTable as registryTableDef,
  type TableDefinition,
  tables,
} from './resources.js';
import type { StageName } from './stage.js';

/** Timeout of the HTTP functions: under API Gateway's 30 s integration limit, with room for a slow partner lookup. */
export const API_FUNCTION_TIMEOUT_SECONDS = 15;

/** Concurrency cap per worker's event source, so a backlog cannot flood partners' endpoints or eat the account's concurrency. */
export const WORKER_MAX_CONCURRENCY: Readonly<Partial<Record<string, number>>> = { Deliver: 20 };

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
  private readonly visibilitySeconds = new Map<Queue, number>();

  constructor(scope: Construct, id: string, props: CrossdockStackProps) {
    super(scope, id, props);
    // Access-log delivery by bucket policy rather than the legacy ACL, so the log bucket can keep ACLs disabled.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.stage = props.stage;
    const prod = props.stage === 'prod';

    const tablesByDef = new Map<TableDefinition, Table>();
    for (const def of tables) tablesByDef.set(def, this.table(def, prod));
    const payloads = this.payloadBucket(payloadBucketDef);
    const { queue, deadLetter } = this.queueWithDeadLetter(deliveryQueueDef);

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
      deliveryQueue: queue,
      deliveryDeadLetter: deadLetter,
      adminKey,
    };

    this.api = this.httpApi(prod);
    for (const route of routes) this.route(route);
    for (const worker of workers) this.worker(worker);

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.apiEndpoint,
      description: 'Base URL of the Crossdock API',
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

  private payloadBucket(def: BucketDefinition): Bucket {
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

    return new Bucket(this, def.id, {
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
  }

  private queueWithDeadLetter(def: QueueDefinition): { queue: Queue; deadLetter: Queue } {
    if (def.deadLetter.retentionSeconds <= def.retentionSeconds) {
      throw new Error(
        `${def.deadLetter.id} must keep messages longer than ${def.id} (${def.deadLetter.retentionSeconds} s ≤ ${def.retentionSeconds} s).`,
      );
    }
    // Queues carry ids and attempt counts, never payloads; what reaches the dead-letter queue is marked
    // failed in the messages table by the DeadLetter worker, so deleting a stage's queues loses no data.
    // The definition gives no visibility for the dead-letter queue: house rule 4 (at least 6× the
    // consumer's timeout) is derived from the workers that read it.
    const deadLetterVisibility = 6 * Math.max(30, ...consumerTimeouts('deliveryDeadLetter'));
    const deadLetter = new Queue(this, def.deadLetter.id, {
      visibilityTimeout: Duration.seconds(deadLetterVisibility),
      retentionPeriod: Duration.seconds(def.deadLetter.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const queue = new Queue(this, def.id, {
      visibilityTimeout: Duration.seconds(def.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(def.retentionSeconds),
      deadLetterQueue: { queue: deadLetter, maxReceiveCount: def.maxReceiveCount },
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.visibilitySeconds.set(queue, def.visibilityTimeoutSeconds);
    this.visibilitySeconds.set(deadLetter, deadLetterVisibility);
    new Alarm(this, `${def.deadLetter.id}Alarm`, {
      alarmDescription: `Messages are waiting in ${def.deadLetter.id}: deliveries crashed or were poisoned (see the DeadLetter worker's logs).`,
      metric: deadLetter.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: Stats.MAXIMUM,
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
        // $context.path, not the full URL: seed 000 allows the API key in the query string.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            userAgent: '$context.identity.userAgent',
          }),
        ),
      },
    });
    return api;
  }

  private route(route: RouteDefinition): void {
    const consumed = route.uses.filter((u) => u.endsWith(':consume'));
    if (consumed.length > 0) {
      throw new Error(`Route ${route.method} ${route.path} cannot consume a queue (${consumed.join(', ')}).`);
    }
    const fn = this.addFunction(functionId(route.handler), {
      handler: route.handler,
      uses: route.uses,
      timeoutSeconds: API_FUNCTION_TIMEOUT_SECONDS,
      ...(route.memoryMb ? { memoryMb: route.memoryMb } : {}),
      description: `${route.method} ${route.path}: ${route.summary}`,
    });
    this.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn.function),
    });
  }

  private worker(worker: WorkerDefinition): void {
    const queue =
      worker.source === 'deliveryQueue' ? this.resources.deliveryQueue : this.resources.deliveryDeadLetter;
    const visibility = this.visibilitySeconds.get(queue) ?? 0;
    if (visibility < 6 * worker.timeoutSeconds) {
      throw new Error(
        `${worker.id}: the visibility timeout of its queue (${visibility} s) must be at least 6 × its timeout (${worker.timeoutSeconds} s).`,
      );
    }
    if (!worker.uses.includes(`${worker.source}:consume`)) {
      throw new Error(
        `Worker ${worker.id} reads ${worker.source} but does not declare '${worker.source}:consume'.`,
      );
    }
    const fn = this.addFunction(`${worker.id}Worker`, {
      handler: worker.handler,
      uses: worker.uses,
      timeoutSeconds: worker.timeoutSeconds,
      ...(worker.memoryMb ? { memoryMb: worker.memoryMb } : {}),
      description: `Worker ${worker.id} (${worker.source})`,
    });
    // Links in notify webhooks point at the API. Workers are not behind the API, so this adds no cycle.
    fn.addEnvironment('PUBLIC_BASE_URL', this.api.apiEndpoint);
    const maxConcurrency = WORKER_MAX_CONCURRENCY[worker.id];
    fn.function.addEventSource(
      new SqsEventSource(queue, {
        batchSize: worker.batchSize,
        reportBatchItemFailures: true,
        ...(maxConcurrency ? { maxConcurrency } : {}),
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
const consumerTimeouts = (source: WorkerDefinition['source']): number[] =>
  workers.filter((w) => w.source === source).map((w) => w.timeoutSeconds);

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is not defined in lib/resources.ts tables.`);
  return value;
}
