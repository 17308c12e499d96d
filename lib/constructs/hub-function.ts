import { existsSync } from 'node:fs';
import { Annotations, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  Code,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BucketGrants, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { DeadLetterSource, QueueName, QueueSource, TopicName } from '../../functions/route-types.js';
import type { HandlerRef, ResourceUse } from '../../functions/routes.js';
import { entryPath, functionCode } from '../bundling.js';
import { TOPIC_BY_NAME } from '../function-environment.js';
import {
  type BucketDefinition,
  messagesTable,
  PAYLOAD_PREFIX,
  packetDownloadPrefixes,
  packetPrefixes,
  payloadBucket,
  registryTable,
  SETTINGS,
  type TableDefinition,
} from '../resources.js';
import type { StageName } from '../stage.js';
import { isQueueName, isQueueSource, queueSourceEnvVar } from './queue-sources.js';

/**
 * Builds the operator console into the bundle's `console/` folder once esbuild is done (local
 * bundling, in the repository, with its devDependencies): the function serves those files itself.
 */
export const CONSOLE_BUILD = {
  afterBundling: (inputDir: string, outputDir: string): string[] => [
    `cd "${inputDir}" && npx vite build --config console/vite.config.ts --outDir "${outputDir}/console"`,
  ],
};

export const SERVICE_NAME = 'crossdock';

export const DEFAULT_MEMORY_MB = 256;

/**
 * Item-level DynamoDB access (on the table and its indexes). Narrower than CDK's readData/readWriteData:
 * no Scan (house rule 6: Get, Query and conditional writes only), no stream reads, no DescribeTable.
 */
export const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
export const TABLE_WRITE_ACTIONS = [
  ...TABLE_READ_ACTIONS,
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/** The stack's resources a function can be bound to; each corresponds to a definition in lib/resources.ts. */
/** What `requests:record` grants on the messages table. */
export const REQUEST_RECORD_ACTIONS = ['dynamodb:PutItem'];

export interface HubResources {
  readonly registryTable: Table;
  readonly messagesTable: Table;
  readonly payloadBucket: IBucket;
  /** Every queue and dead-letter queue of lib/resources.ts, by the name routes and workers use for it. */
  readonly queues: Readonly<Record<QueueSource, Queue>>;
  readonly adminKey: ISecret;
  /** Every topic of lib/resources.ts, by the name routes and workers use for it. */
  readonly topics: Readonly<Record<TopicName, ITopic>>;
}

/** The topic uses: `<topic>:publish`. */
export type TopicUse = `${TopicName}:publish`;
const isTopicUse = (use: ResourceUse): use is TopicUse => use.endsWith(':publish');

/** The queue uses: `<queue>:send`, `<queue or dead-letter queue>:consume`, `<dead-letter queue>:peek`. */
export type QueueUse = `${QueueName}:send` | `${QueueSource}:consume` | `${DeadLetterSource}:peek`;

/** What `<dead-letter queue>:peek` grants: reading and hiding, never deleting. */
export const PEEK_ACTIONS = ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility'];

/** The only action `payloads:presignUpload` grants: a presigned URL carries its signer's permissions. */
export const PRESIGN_UPLOAD_ACTIONS = ['s3:PutObject'];
/** The only action `packets:presignDownload` grants. */
export const PRESIGN_DOWNLOAD_ACTIONS = ['s3:GetObject'];

export interface HubFunctionProps {
  readonly stage: StageName;
  readonly handler: HandlerRef;
  readonly resources: HubResources;
  /** Resource uses from functions/routes.ts; each becomes an env var plus the matching IAM grant. */
  readonly uses?: readonly ResourceUse[];
  readonly timeoutSeconds: number;
  /** @default 256 */
  readonly memoryMb?: number;
  /** Active X-Ray tracing. @default false */
  readonly tracing?: boolean;
  /**
   * Files the handler serves, built and copied beside its bundle: `console`, the operator console
   * (console/, built by Vite into `<bundle>/console/`, where functions/http/console-files.ts reads it).
   */
  readonly ships?: readonly 'console'[];
  readonly description?: string;
}

/**
 * A Crossdock Lambda function: nodejs24.x on arm64, bundled by lib/bundling.ts, with its own log group
 * and its own role. The role starts with nothing but write access to that log group (no managed
 * policy); every other permission arrives through `bind`, which sets the environment variable a
 * handler reads and grants the least privilege for that use in one step, so the two never drift apart.
 */
export class HubFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  private readonly resources: HubResources;
  private readonly bound = new Set<ResourceUse>();

  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    super(scope, id);
    this.resources = props.resources;
    const prod = props.stage === 'prod';

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: RetentionDays.ONE_MONTH,
      // Logs of a prod function outlive the function (incident review); test logs go with their stack.
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Crossdock ${props.stage} ${props.handler.file}#${props.handler.export}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every log group): this function's group only.
    this.logGroup.grants.write(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      ...this.code(props.handler, props.ships ?? []),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? DEFAULT_MEMORY_MB,
      timeout: Duration.seconds(props.timeoutSeconds),
      role: this.role,
      logGroup: this.logGroup,
      // JSON logs throughout; the platform's START/END/REPORT lines (about 0.4 KB per invocation, the
      // biggest log cost of a small message) are dropped: duration and memory are metrics anyway.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      ...(props.description ? { description: props.description.slice(0, 256) } : {}),
      environment: {
        [SETTINGS.stage]: props.stage,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // No --enable-source-maps: it costs every cold start (see `npm run bench -- bundles`). The assets
        // still carry index.mjs.map (lib/bundling.ts); `npm run stack` maps a logged trace afterwards.
      },
    });

    if (props.tracing) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
      });
    }

    for (const use of props.uses ?? []) this.bind(use);
  }

  /**
   * The handler's entry, bundled by lib/bundling.ts (split: `index.mjs` and its lazily loaded chunks).
   * When the stack is not being bundled (infra tests, `cdk ls`) a handler file that is not written yet
   * gets placeholder code and a warning instead of stopping synth; a bundling synth (`cdk synth`,
   * `cdk deploy`) still refuses a missing entry.
   */
  private code(
    handler: HandlerRef,
    ships: readonly 'console'[],
  ): Pick<NodejsFunctionProps, 'handler' | 'code'> {
    const entry = entryPath(handler);
    if (!existsSync(entry)) {
      if (Stack.of(this).bundlingRequired) {
        throw new Error(`Cannot find entry file at ${entry} (functions/${handler.file}).`);
      }
      Annotations.of(this).addWarningV2(
        'crossdock:handlerMissing',
        `functions/${handler.file} does not exist yet: placeholder code (bundling is skipped for this synth).`,
      );
      return {
        code: Code.fromInline(`exports.${handler.export} = async () => { throw new Error('not built'); };`),
        handler: `index.${handler.export}`,
      };
    }
    return {
      code: functionCode(handler, ships.includes('console') ? CONSOLE_BUILD : undefined),
      handler: `index.${handler.export}`,
    };
  }

  addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /**
   * Gives the function one resource use: the env var named in lib/resources.ts and the narrowest grant
   * that serves it. `<queue>:send` grants SendMessage on that queue only. `<source>:consume` sets only
   * the env var (the handler needs the queue URL to postpone a message); the receive, delete and
   * ChangeMessageVisibility permissions come with the SQS event source that delivers the batches.
   * `<dead-letter queue>:peek` grants receiving and hiding on that queue, and no DeleteMessage.
   */
  bind(use: ResourceUse): this {
    if (this.bound.has(use)) return this;
    this.bound.add(use);
    const r = this.resources;
    switch (use) {
      case 'registry:read':
        return this.bindTable(registryTable, r.registryTable, 'read');
      case 'registry:write':
        return this.bindTable(registryTable, r.registryTable, 'readWrite');
      case 'messages:read':
        return this.bindTable(messagesTable, r.messagesTable, 'read');
      case 'messages:write':
        return this.bindTable(messagesTable, r.messagesTable, 'readWrite');
      case 'payloads:read':
        return this.bindBucket(payloadBucket, r.payloadBucket, 'read');
      case 'payloads:write':
        this.bindBucket(payloadBucket, r.payloadBucket, 'put');
        // A message that cannot be accepted after all takes back the document it wrote (payloads/ only).
        r.payloadBucket.grantDelete(this.role, `${PAYLOAD_PREFIX}*`);
        Validations.of(this).acknowledge({
          id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]',
          reason: `CDK's delete grant action group, scoped to ${PAYLOAD_PREFIX} in ${payloadBucket.id}.`,
        });
        return this;
      case 'payloads:presignUpload':
        return this.bindPresignUpload(payloadBucket, r.payloadBucket);
      case 'packets:presignUpload':
        return this.bindPresigned(payloadBucket, r.payloadBucket, PRESIGN_UPLOAD_ACTIONS, [
          packetPrefixes.upload,
        ]);
      case 'packets:presignDownload':
        return this.bindPresigned(
          payloadBucket,
          r.payloadBucket,
          PRESIGN_DOWNLOAD_ACTIONS,
          packetDownloadPrefixes,
        );
      case 'adminKey:read':
        r.adminKey.grantRead(this.role);
        return this.addEnvironment(SETTINGS.adminKeySecretArn, r.adminKey.secretArn);
      case 'requests:record':
        // A refused request is one new item: PutItem on the table itself, no index, no read.
        this.role.addToPrincipalPolicy(
          new PolicyStatement({ actions: REQUEST_RECORD_ACTIONS, resources: [r.messagesTable.tableArn] }),
        );
        return this.addEnvironment(messagesTable.envVar, r.messagesTable.tableName);
      default:
        // Every other use is a topic or a queue use; this stops compiling if a new kind is left unbound.
        return isTopicUse(use) ? this.bindTopic(use) : this.bindQueue(use);
    }
  }

  /**
   * `<topic>:publish`: sns:Publish on that topic, and the topic's KMS key for encrypting what is
   * published (kms:GenerateDataKey* and kms:Decrypt on that key only), with the ARN in its env var.
   */
  private bindTopic(use: TopicUse): this {
    const name = use.slice(0, use.lastIndexOf(':')) as TopicName;
    const topic = this.resources.topics[name];
    topic.grantPublish(this.role);
    if (topic.masterKey) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: `Publishing to the encrypted ${TOPIC_BY_NAME[name].id} needs a data key from its own KMS key; CDK's publish grant names the GenerateDataKey family on that key only.`,
      });
    }
    return this.addEnvironment(TOPIC_BY_NAME[name].envVar, topic.topicArn);
  }

  /**
   * For handlers that presign URLs for sync packets: exactly `actions` under `prefixes`, each of which an
   * expiry rule must cover. A presigned URL acts with its signer's permissions, so this grant is all such
   * a URL can do.
   */
  private bindPresigned(
    def: BucketDefinition,
    bucket: IBucket,
    actions: readonly string[],
    prefixes: readonly string[],
  ): this {
    for (const prefix of prefixes) {
      if (!def.expiry.some((e) => e.prefix === prefix)) {
        throw new Error(`${def.id}: presigned URLs under ${prefix}, which no expiry rule covers.`);
      }
      const pattern = `${prefix}*`;
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...actions], resources: [bucket.arnForObjects(pattern)] }),
      );
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${pattern}]`,
        reason: `Presigned ${actions.join(', ')} for sync packets keyed by area and id under ${prefix} in ${def.id}; the grant is limited to that prefix.`,
      });
    }
    return this.addEnvironment(def.envVar, bucket.bucketName);
  }

  private bindQueue(use: QueueUse): this {
    const at = use.lastIndexOf(':');
    const name = use.slice(0, at);
    const access = use.slice(at + 1);
    if (access === 'send' && isQueueName(name)) {
      const queue = this.resources.queues[name];
      queue.grants.sendMessages(this.role);
      return this.addEnvironment(queueSourceEnvVar(name), queue.queueUrl);
    }
    if (access === 'consume' && isQueueSource(name)) {
      return this.addEnvironment(queueSourceEnvVar(name), this.resources.queues[name].queueUrl);
    }
    if (access === 'peek' && isQueueSource(name) && !isQueueName(name)) {
      const queue = this.resources.queues[name];
      this.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: PEEK_ACTIONS, resources: [queue.queueArn] }),
      );
      return this.addEnvironment(queueSourceEnvVar(name), queue.queueUrl);
    }
    throw new Error(`No binding for resource use ${JSON.stringify(use)}.`);
  }

  /**
   * For handlers that presign PUT URLs: s3:PutObject under the upload prefix and nothing else. The URL
   * acts with the signer's permissions, so this grant is exactly what a presigned upload can do.
   */
  private bindPresignUpload(def: BucketDefinition, bucket: IBucket): this {
    if (!def.expiry.some(({ prefix }) => prefix === def.uploadPrefix)) {
      throw new Error(`${def.id}: uploads land under ${def.uploadPrefix}, which no expiry rule covers.`);
    }
    const pattern = `${def.uploadPrefix}*`;
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: PRESIGN_UPLOAD_ACTIONS, resources: [bucket.arnForObjects(pattern)] }),
    );
    Validations.of(this).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(bucket)}/${pattern}]`,
      reason: `Presigned uploads are keyed by id under ${def.uploadPrefix} in ${def.id}; the grant is s3:PutObject under that prefix only.`,
    });
    return this.addEnvironment(def.envVar, bucket.bucketName);
  }

  private bindTable(def: TableDefinition, table: Table, access: 'read' | 'readWrite'): this {
    table.grants.actions(this.role, ...(access === 'read' ? TABLE_READ_ACTIONS : TABLE_WRITE_ACTIONS));
    if (def.globalIndexes.length > 0) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagArn(table)}/index/*]`,
        reason: `Queries on ${def.id}'s global secondary indexes (${def.globalIndexes.map((i) => i.name).join(', ')}); the grant is limited to this table's indexes.`,
      });
    }
    return this.addEnvironment(def.envVar, table.tableName);
  }

  /**
   * Object access is limited to the prefixes the bucket definition expires (lib/resources.ts), so a
   * function can neither read nor leave objects outside the lifecycle rules.
   */
  private bindBucket(def: BucketDefinition, bucket: IBucket, access: 'read' | 'put'): this {
    const grants = BucketGrants.fromBucket(bucket);
    const ref = nagArn(bucket);
    for (const { prefix } of def.expiry) {
      const pattern = `${prefix}*`;
      if (access === 'read') grants.read(this.role, pattern);
      else grants.put(this.role, pattern);
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${ref}/${pattern}]`,
        reason: `Objects are keyed by id under ${prefix} in ${def.id}; the grant is limited to that prefix.`,
      });
    }
    const actions =
      access === 'read'
        ? ['s3:GetObject*', 's3:GetBucket*', 's3:List*']
        : // grantPut's only wildcard: aborting this function's own multipart uploads.
          ['s3:Abort*'];
    for (const action of actions) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason: `CDK's ${access} grant action group on ${def.id}, scoped to this bucket and the prefixes above.`,
      });
    }
    return this.addEnvironment(def.envVar, bucket.bucketName);
  }
}

/** How cdk-nag's IAM5 names a resource ARN in a finding: `<LogicalId.Arn>`. */
function nagArn(resource: Construct): string {
  const stack = Stack.of(resource);
  const cfn = resource.node.defaultChild as CfnElement;
  return `<${stack.resolve(stack.getLogicalId(cfn))}.Arn>`;
}

/**
 * The construct id of a handler's function: the file path under functions/ without `http/` and the
 * extension, and the export, in PascalCase: `http/admin/partners.ts#createPartner` → `AdminPartnersCreatePartner`.
 */
export function functionId(handler: HandlerRef): string {
  const path = handler.file.replace(/^http\//, '').replace(/\.[cm]?[jt]s$/, '');
  return [...path.split(/[/._-]+/), handler.export].map(pascal).join('');
}

const pascal = (word: string): string => (word ? word[0]?.toUpperCase() + word.slice(1) : '');
