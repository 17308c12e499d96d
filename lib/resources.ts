/**
 * The hub's AWS resources, declared once. The CDK stack and the local hub both read these
 * definitions, so a table, queue or bucket is never described twice. Physical names are never
 * fixed here: CDK generates them per stage, the local hub derives them from the logical id.
 */

export interface TableDefinition {
  /** CDK logical id, and the name the local hub gives the emulated table. */
  readonly id: string;
  /** The environment variable through which functions learn the table's name. */
  readonly envVar: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly timeToLiveAttribute: string;
  readonly globalIndexes: readonly { name: string; partitionKey: string; sortKey: string }[];
}

export interface QueueDefinition {
  readonly id: string;
  readonly envVar: string;
  /** Seconds; at least 6× the timeout of the worker that consumes it. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Receives before SQS moves a message to the dead-letter queue: the backstop for crashes and poison messages. */
  readonly maxReceiveCount: number;
  /** A FIFO queue keeps order per message group (here: per integration) and one group member in flight. */
  readonly fifo?: boolean;
  readonly deadLetter: { readonly id: string; readonly envVar: string; readonly retentionSeconds: number };
}

export interface BucketDefinition {
  readonly id: string;
  readonly envVar: string;
  /** Objects under these prefixes expire after the given days. */
  readonly expiry: readonly { prefix: string; days: number }[];
  /** Uploads under this prefix are announced on the upload queue (S3 ObjectCreated notification). */
  readonly uploadPrefix: string;
  /** S3 ObjectCreated notifications: objects created under `prefix` are announced on `queue`. */
  readonly notifications: readonly { prefix: string; queue: QueueDefinition }[];
}

const DAY = 86_400;

export const registryTable: TableDefinition = {
  id: 'RegistryTable',
  envVar: 'REGISTRY_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  // byKind lists partners and integrations; byReceiver finds the integrations that route to a partner.
  globalIndexes: [
    { name: 'byKind', partitionKey: 'kind', sortKey: 'kindSort' },
    { name: 'byReceiver', partitionKey: 'receiver', sortKey: 'pk' },
  ],
};

export const messagesTable: TableDefinition = {
  id: 'MessagesTable',
  envVar: 'MESSAGES_TABLE',
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
  // A sparse index of what waits in a leased mailbox, oldest first: pull deliveries in a receiver's
  // inbox, and sync packets in an ERP's or a mobile user's mailbox (functions/adapters/leased-mailbox.ts).
  // The operator's message log, newest first (functions/adapters/message-log.ts): only message heads
  // carry a sender, a receiver and a logDay beside receivedAt, and only delivery rows a logAt, so these
  // indexes hold nothing else. byOwnerEntity: a partner's entity rows of one entity, oldest change
  // first (GET /v1/entities/{entity}).
  globalIndexes: [
    { name: 'byInbox', partitionKey: 'inbox', sortKey: 'inboxSort' },
    { name: 'bySender', partitionKey: 'sender', sortKey: 'receivedAt' },
    { name: 'byReceiver', partitionKey: 'receiver', sortKey: 'receivedAt' },
    { name: 'byDay', partitionKey: 'logDay', sortKey: 'receivedAt' },
    // Delivery rows, by integration and by delivery status: their logAt is the message's receivedAt#id.
    { name: 'byIntegration', partitionKey: 'integrationId', sortKey: 'logAt' },
    { name: 'byDeliveryStatus', partitionKey: 'status', sortKey: 'logAt' },
    { name: 'byOwnerEntity', partitionKey: 'rowOwner', sortKey: 'rowSort' },
    // Sparse: rows whose sends are written but not yet queued (the row outbox), oldest first.
    { name: 'byPendingSend', partitionKey: 'pendingSend', sortKey: 'pendingSort' },
    // Sync packets by app area, by creation (GET /admin/packets/{appArea}): only packets carry these.
    { name: 'byArea', partitionKey: 'packetArea', sortKey: 'packetSort' },
  ],
};

export const tables = [registryTable, messagesTable] as const;

/** Worker timeout in seconds; the delivery queue's visibility is six times this. */
export const DELIVERY_WORKER_TIMEOUT_SECONDS = 60;

/**
 * The environment variable that tells a queue's consumer how many records its event source can have
 * in flight at once (maximum concurrency × batch size): set by the stack for a worker with a
 * maxConcurrency, and by the local hub for its pollers. The delivery worker takes no in-flight
 * permits for an integration whose batchSize is at least this (core/delivery-policy.ts).
 */
export const MAX_RECORDS_IN_FLIGHT_ENV = 'MAX_RECORDS_IN_FLIGHT';

export const deliveryQueue: QueueDefinition = {
  id: 'DeliveryQueue',
  envVar: 'DELIVERY_QUEUE_URL',
  visibilityTimeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS * 6,
  // A job waits in the queue for its whole retry schedule (at most 19 × 12 h = 9.5 days), so it is
  // kept 13 days, and its dead-letter queue the SQS maximum of 14: SQS deletes an expired job silently.
  retentionSeconds: 13 * DAY,
  // Retries are scheduled by the worker with ChangeMessageVisibility (up to 20 attempts), so the
  // redrive count sits above the highest maxAttempts: it catches crashes, not ordinary failures.
  maxReceiveCount: 25,
  deadLetter: { id: 'DeliveryDeadLetterQueue', envVar: 'DELIVERY_DLQ_URL', retentionSeconds: 14 * DAY },
};

/**
 * Deliveries of integrations with `parallel: false`: a FIFO queue grouped by integration, so one
 * integration's messages go out one at a time in arrival order while other integrations run freely.
 */
export const orderedDeliveryQueue: QueueDefinition = {
  id: 'OrderedDeliveryQueue',
  envVar: 'ORDERED_DELIVERY_QUEUE_URL',
  visibilityTimeoutSeconds: DELIVERY_WORKER_TIMEOUT_SECONDS * 6,
  retentionSeconds: 13 * DAY,
  // Lambda hands a FIFO group's waiting messages back each time the head is postponed, and every such
  // receive counts: the limit is high so that messages queued behind a retrying one are not
  // dead-lettered before their first attempt. Attempts themselves are bounded by the delivery's claim.
  maxReceiveCount: 500,
  fifo: true,
  deadLetter: {
    id: 'OrderedDeliveryDeadLetterQueue',
    envVar: 'ORDERED_DELIVERY_DLQ_URL',
    retentionSeconds: 14 * DAY,
  },
};

/** Worker timeout of the upload worker (documents that land through presigned URLs). */
export const UPLOAD_WORKER_TIMEOUT_SECONDS = 30;

/** S3 ObjectCreated notifications for presigned uploads. */
export const uploadQueue: QueueDefinition = {
  id: 'UploadQueue',
  envVar: 'UPLOAD_QUEUE_URL',
  visibilityTimeoutSeconds: UPLOAD_WORKER_TIMEOUT_SECONDS * 6,
  retentionSeconds: 4 * DAY,
  maxReceiveCount: 5,
  deadLetter: { id: 'UploadDeadLetterQueue', envVar: 'UPLOAD_DLQ_URL', retentionSeconds: 14 * DAY },
};

/** Worker timeout of the packet worker (checks, parses and converts sync packets that land in S3). */
export const PACKET_WORKER_TIMEOUT_SECONDS = 60;

/** S3 ObjectCreated notifications for sync packets (seed 003) uploaded through presigned URLs. */
export const packetQueue: QueueDefinition = {
  id: 'PacketQueue',
  envVar: 'PACKET_QUEUE_URL',
  visibilityTimeoutSeconds: PACKET_WORKER_TIMEOUT_SECONDS * 6,
  retentionSeconds: 4 * DAY,
  maxReceiveCount: 5,
  deadLetter: { id: 'PacketDeadLetterQueue', envVar: 'PACKET_DLQ_URL', retentionSeconds: 14 * DAY },
};

export const queues = [deliveryQueue, orderedDeliveryQueue, uploadQueue, packetQueue] as const;

/** How long sync packets are kept: their records (TTL) and their objects (the bucket's expiry). */
export const PACKET_RETENTION_DAYS = 30;

/**
 * Sync packets land under `upload` (announced on the packet queue), where their presigned PUT writes.
 * What readers download is only ever written by the packet worker after its check, outside the notified
 * prefix and outside any presigned PUT's reach: the checked copy of a device upload under `checked`,
 * the native form of an ERP push under `native`.
 */
export const packetPrefixes = {
  upload: 'packets/',
  checked: 'checked-packets/',
  native: 'native-packets/',
} as const;

/** The only packet prefixes a presigned GET reaches. */
export const packetDownloadPrefixes = [packetPrefixes.checked, packetPrefixes.native] as const;

/** Where the hub keeps documents too large for their DynamoDB item. */
export const PAYLOAD_PREFIX = 'payloads/';

/** Where presigned message uploads land (announced on the upload queue). */
export const UPLOAD_PREFIX = 'uploads/';

/**
 * How long what a presigned PUT wrote is kept. New uploads are read only while their notification is
 * handled (queues keep those 4 days) and served from the hub's own copy; but messages and packets
 * accepted before the hub kept copies still point at their landing object, and are kept 90 (messages)
 * and 30 (packets) days. So the landing prefixes keep those lifetimes until every such record has
 * expired; then they can drop to 7 days.
 */
export const LANDING_RETENTION_DAYS = { uploads: 90, packets: PACKET_RETENTION_DAYS } as const;

export const payloadBucket: BucketDefinition = {
  id: 'PayloadBucket',
  envVar: 'PAYLOAD_BUCKET',
  expiry: [
    { prefix: PAYLOAD_PREFIX, days: 90 },
    { prefix: UPLOAD_PREFIX, days: LANDING_RETENTION_DAYS.uploads },
    { prefix: packetPrefixes.upload, days: LANDING_RETENTION_DAYS.packets },
    { prefix: packetPrefixes.checked, days: PACKET_RETENTION_DAYS },
    { prefix: packetPrefixes.native, days: PACKET_RETENTION_DAYS },
  ],
  uploadPrefix: UPLOAD_PREFIX,
  notifications: [
    { prefix: UPLOAD_PREFIX, queue: uploadQueue },
    { prefix: packetPrefixes.upload, queue: packetQueue },
  ],
};

export interface TopicDefinition {
  /** CDK logical id, and the name the local hub gives the emulated topic. */
  readonly id: string;
  /** The environment variable through which functions learn the topic's ARN. */
  readonly envVar: string;
}

/**
 * "A sync packet is ready for (appArea, mobileUser)": published with those two as message attributes,
 * so a push service subscribes with a filter policy instead of reading every area's traffic.
 */
export const packetTopic: TopicDefinition = { id: 'PacketTopic', envVar: 'PACKET_TOPIC_ARN' };

/**
 * Operational events (functions/core/events.ts): each is published with the message attribute `type`
 * (and `integrationId` / `partner` when it names one), so a subscriber's filter policy picks the kinds
 * it pages someone for. The same events are kept 30 days in the messages table (GET /admin/events).
 */
export const eventsTopic: TopicDefinition = { id: 'EventsTopic', envVar: 'EVENTS_TOPIC_ARN' };

export const topics = [packetTopic, eventsTopic] as const;

/** How long message records are kept (the TTL on DynamoDB items matches the bucket's expiry). */
export const MESSAGE_RETENTION_DAYS = 90;

/**
 * What workers and routes call each queue (functions/route-types.ts QueueName / QueueSource): the
 * queue's definition and whether the name means its dead-letter queue.
 */
export const queueSources = {
  deliveryQueue: { queue: deliveryQueue, deadLetter: false },
  deliveryDeadLetter: { queue: deliveryQueue, deadLetter: true },
  orderedDeliveryQueue: { queue: orderedDeliveryQueue, deadLetter: false },
  orderedDeliveryDeadLetter: { queue: orderedDeliveryQueue, deadLetter: true },
  uploadQueue: { queue: uploadQueue, deadLetter: false },
  uploadDeadLetter: { queue: uploadQueue, deadLetter: true },
  packetQueue: { queue: packetQueue, deadLetter: false },
  packetDeadLetter: { queue: packetQueue, deadLetter: true },
} as const satisfies Record<string, { queue: QueueDefinition; deadLetter: boolean }>;

/**
 * One JSON line per API request. `$context.path`, not the full URL: seed 000 allows the API key in the
 * query string. This line is the request log (the handlers log only what goes wrong).
 */
export const API_ACCESS_LOG_FIELDS = {
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
} as const;

/**
 * The log message the dead-letter sweep writes for each delivery it newly marks failed; the stack
 * counts these lines (a metric filter) and alarms on them, since the swept queue itself stays non-empty.
 */
export const DEAD_LETTER_MARKED_LOG = 'dead-lettered delivery marked failed';

/**
 * The variables that are settings, not resources, each named once: the stack or the local hub sets
 * them, functions/ reads them (through functions/config.ts).
 */
export const SETTINGS = {
  /** The stage a function belongs to (the metrics' one dimension). */
  stage: 'STAGE',
  /** The API's base URL, for the links in notify webhooks and write-backs (workers and jobs only). */
  publicBaseUrl: 'PUBLIC_BASE_URL',
  /** Where the admin key is kept on AWS (what `adminKey:read` binds). */
  adminKeySecretArn: 'ADMIN_KEY_SECRET_ARN',
  /** The local hub's stand-in for the secret: the admin key's SHA-256 itself. */
  adminKeySha256: 'ADMIN_KEY_SHA256',
  /** Local only: presigned URLs point at the hub's S3 gateway. */
  presignEndpoint: 'S3_PRESIGN_ENDPOINT',
  /** Local only: S3 addressed by path, as the emulator wants. */
  forcePathStyle: 'S3_FORCE_PATH_STYLE',
  /** Local only: deliveries to loopback addresses (the tests' partners) are allowed. */
  allowLoopbackOutbound: 'ALLOW_LOOPBACK_OUTBOUND',
} as const;
