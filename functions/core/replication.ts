import { randomBytes } from 'node:crypto';
import * as z from 'zod/mini';
import type { IntegrationInput } from './integration.js';
import { type Delivery, messageStatus } from './message.js';
import { matchesRoute } from './routing.js';
import { type LineError, ThreeplError } from './tokens.js';

/**
 * The rules of POST /v1/replicationpost (seed 002): the shape of a post, its limits, the field
 * dictionary per apiid, which integrations carry a line, and how a line's status is told.
 */

/** The eight categories of seed 002: pallet header/detail, history, order header/detail, loadout header/detail/pallet. */
export const APIIDS = ['PH', 'PD', 'HI', 'OH', 'OD', 'LH', 'DD', 'LD'] as const;
export type ApiId = (typeof APIIDS)[number];

/** The doctype (and integration entity) that 3PL lines travel as. */
export const REPLICATION_DOCTYPE = 'replication';

/** Lines per post: a 3PL with more sends several posts. */
export const MAX_LINES = 1000;
export const MAX_NODES_PER_LINE = 250;
export const MAX_NODE_NAME_CHARS = 128;
export const MAX_NODE_VALUE_CHARS = 4096;
/** The body cap, checked before anything is parsed (larger bodies are 413). */
export const MAX_REPLICATION_BODY_BYTES = 4 * 1024 * 1024;
/** Line errors listed in a 400; the rest are counted. */
export const MAX_REPORTED_ERRORS = 20;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const NodeSchema = z.strictObject({
  name: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(MAX_NODE_NAME_CHARS),
      z.regex(/^\P{Cc}*$/u, 'must not contain control characters'),
    ),
  value: z.string().check(z.maxLength(MAX_NODE_VALUE_CHARS)),
});

export const RepLineSchema = z.strictObject({
  apiuuid: z.string().check(z.regex(UUID, 'must be a UUID (8-4-4-4-12 hexadecimal digits)')),
  apiid: z.enum(APIIDS),
  senderidentification: z.string().check(z.minLength(1), z.maxLength(256)),
  nodes: z.array(NodeSchema).check(z.minLength(1), z.maxLength(MAX_NODES_PER_LINE)),
});
export type RepLine = z.output<typeof RepLineSchema>;

/** The body of POST /v1/replicationpost, as seed 002 shows it. */
export const ReplicationPostSchema = z.strictObject({
  repLines: z.array(RepLineSchema).check(z.minLength(1), z.maxLength(MAX_LINES)),
});
export type ReplicationPost = z.output<typeof ReplicationPostSchema>;

const incompleteInput = (errors: LineError[], total = errors.length) => {
  const [first] = errors;
  const where = first?.line === undefined ? first?.field : `repLines[${first.line}].${first.field}`;
  const more = total > 1 ? ` (${total} problems in all, listed in Errors)` : '';
  return new ThreeplError(400, 'incomplete_input', `Incomplete input: ${where}: ${first?.message}${more}.`, {
    errors: errors.slice(0, MAX_REPORTED_ERRORS),
  });
};

/**
 * Checks the shape of a parsed body. Every problem is reported with its line and field (up to
 * MAX_REPORTED_ERRORS), so a 3PL can fix a post in one round.
 */
export function parseReplicationPost(value: unknown): ReplicationPost {
  // Counted before the schema walks the lines: an oversized post is refused for its size alone.
  const lines = (value as { repLines?: unknown } | null)?.repLines;
  if (Array.isArray(lines) && lines.length > MAX_LINES) {
    throw incompleteInput([
      { field: 'repLines', message: `has ${lines.length} lines; a post takes at most ${MAX_LINES}` },
    ]);
  }
  const r = ReplicationPostSchema.safeParse(value);
  if (r.success) return r.data;
  const errors = r.error.issues.map((issue): LineError => {
    const path = [...issue.path];
    let line: number | undefined;
    if (path[0] === 'repLines' && typeof path[1] === 'number') {
      line = path[1];
      path.splice(0, 2);
    }
    const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
    return {
      ...(line !== undefined ? { line } : {}),
      field: fieldPath(path) || (line === undefined ? '(body)' : '(line)'),
      message: unknownKeys
        ? `unknown property ${unknownKeys.map((k) => `"${k}"`).join(', ')}`
        : issue.message.replace(/^Invalid input: /, ''),
    };
  });
  throw incompleteInput(errors);
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** The node names an apiid takes; `open` (no known fields) takes any name. */
export interface FieldDictionary {
  apiid: ApiId;
  fields: string[];
  required: string[];
  open: boolean;
}

/** An operator's addition to the shipped dictionary of one apiid. */
export interface FieldExtension {
  fields: string[];
  required: string[];
}

/**
 * The fields seed 002 names in its example. Its complete field reference "can be delivered" but is
 * not in the seed, so these are the shipped minimum: the operator extends them per apiid
 * (PUT /admin/threepl/fields/{apiid}). The pallet number is required where the seed shows it: a
 * pallet line without its pallet cannot be processed. The five apiids the seed shows no fields for
 * are open (any node name) until the operator gives them a dictionary.
 */
export const DEFAULT_FIELDS: Readonly<Record<ApiId, FieldExtension>> = {
  PH: { fields: ['pallet_#', 'coolstore_c'], required: ['pallet_#'] },
  PD: { fields: ['pallet_#', 'grower_c'], required: ['pallet_#'] },
  HI: { fields: ['Pallet', 'operation_date'], required: ['Pallet'] },
  OH: { fields: [], required: [] },
  OD: { fields: [], required: [] },
  LH: { fields: [], required: [] },
  DD: { fields: [], required: [] },
  LD: { fields: [], required: [] },
};

export const FieldExtensionSchema = z.strictObject({
  fields: z
    .array(z.string().check(z.minLength(1), z.maxLength(MAX_NODE_NAME_CHARS)))
    .check(z.maxLength(MAX_NODES_PER_LINE * 4)),
  required: z.optional(
    z.array(z.string().check(z.minLength(1), z.maxLength(MAX_NODE_NAME_CHARS))).check(z.maxLength(100)),
  ),
});

/** The dictionary in force: the shipped fields plus the operator's. */
export function effectiveDictionary(apiid: ApiId, extension?: FieldExtension): FieldDictionary {
  const base = DEFAULT_FIELDS[apiid];
  const fields = [...new Set([...base.fields, ...(extension?.fields ?? [])])];
  const required = [...new Set([...base.required, ...(extension?.required ?? [])])];
  return { apiid, fields, required, open: fields.length === 0 };
}

/** An extension's required fields must be fields of the dictionary it makes. */
export function checkExtension(apiid: ApiId, ext: FieldExtension): string | undefined {
  const d = effectiveDictionary(apiid, ext);
  const stray = ext.required.filter((f) => !d.fields.includes(f));
  return stray.length ? `required names fields that are not in fields: ${stray.join(', ')}` : undefined;
}

/** Checks each line's node names against its apiid's dictionary: unknown, repeated and missing required fields. */
export function checkFields(post: ReplicationPost, dictionaries: ReadonlyMap<ApiId, FieldDictionary>): void {
  const errors: LineError[] = [];
  post.repLines.forEach((line, index) => {
    const d = dictionaries.get(line.apiid) ?? effectiveDictionary(line.apiid);
    const known = new Set(d.fields);
    const seen = new Map<string, string>();
    line.nodes.forEach((node, n) => {
      if (seen.has(node.name)) {
        errors.push({ line: index, field: `nodes[${n}].name`, message: `"${node.name}" appears twice` });
      } else if (!d.open && !known.has(node.name)) {
        errors.push({
          line: index,
          field: `nodes[${n}].name`,
          message: `"${node.name}" is not a field of ${line.apiid} (known: ${d.fields.join(', ')})`,
        });
      }
      seen.set(node.name, node.value);
    });
    for (const f of d.required) {
      if (!seen.get(f)?.trim()) {
        errors.push({
          line: index,
          field: 'nodes',
          message: `the required field "${f}" of ${line.apiid} is missing or empty`,
        });
      }
    }
  });
  if (errors.length) throw incompleteInput(errors);
}

/** The de-duplication key of a line: UUIDs compare without regard to case. */
export const apiuuidKey = (apiuuid: string) => apiuuid.toLowerCase();

/**
 * The index of the first line with the same apiuuid, for lines repeated within one post: the first
 * is processed, the repeats are recorded as duplicates.
 */
export function repeatsWithinPost(lines: readonly RepLine[]): Map<number, number> {
  const first = new Map<string, number>();
  const repeats = new Map<number, number>();
  lines.forEach((l, i) => {
    const k = apiuuidKey(l.apiuuid);
    const f = first.get(k);
    if (f === undefined) first.set(k, i);
    else repeats.set(i, f);
  });
  return repeats;
}

/**
 * The integrations that could carry a partner's lines: active Outbound ones for entity
 * `replication` (or `*`) whose sender is the partner or unset. None is a 402.
 */
export function replicationCandidates<I extends IntegrationInput>(
  integrations: readonly I[],
  partnerCode: string,
): I[] {
  return integrations.filter(
    (i) =>
      i.active &&
      i.direction === 'Outbound' &&
      !!i.receiver &&
      (i.entity === REPLICATION_DOCTYPE || i.entity === '*') &&
      (!i.sender || i.sender === partnerCode),
  );
}

/** The routing view of a line: a message from the partner to the integration's receiver, versioned by apiid. */
export function lineRoutes<I extends IntegrationInput>(
  candidates: readonly I[],
  partnerCode: string,
  line: RepLine,
): I[] {
  return candidates.filter((i) =>
    matchesRoute(i, {
      sender: partnerCode,
      receiver: i.receiver ?? '',
      doctype: REPLICATION_DOCTYPE,
      version: line.apiid,
    }),
  );
}

export const notProcessed = (message: string) =>
  new ThreeplError(402, 'not_processed', `Input was in order, but the request was not processed: ${message}`);

export type LineStatus = 'received' | 'duplicate' | 'delivered' | 'failed';

/**
 * A line's status follows its messages' deliveries (core/message.ts): failed when any failed,
 * delivered when all are, received while they are on their way.
 */
export function lineStatus(
  line: { status: 'received' | 'duplicate' },
  deliveries: readonly Delivery[],
): { status: LineStatus; errors?: string[] } {
  if (line.status === 'duplicate') return { status: 'duplicate' };
  const s = messageStatus(deliveries);
  if (s === 'failed') {
    return {
      status: 'failed',
      errors: deliveries
        .filter((d) => d.status === 'failed')
        .map((d) => d.lastError ?? 'The delivery failed.'),
    };
  }
  return { status: s === 'delivered' ? 'delivered' : 'received' };
}

/** The post's status: failed when a line failed, delivered when every line is delivered or a duplicate. */
export function communicationStatus(lines: readonly { status: LineStatus }[]): LineStatus {
  if (lines.some((l) => l.status === 'failed')) return 'failed';
  if (lines.every((l) => l.status === 'delivered' || l.status === 'duplicate')) return 'delivered';
  return 'received';
}

/**
 * A CommunicationID: a UUID (the seed's ids are uppercase GUIDs, which 3PL systems may store as such),
 * version 7, so ids sort by the time they were issued.
 */
export function newCommunicationId(now: number): string {
  const b = randomBytes(16);
  b.writeUIntBE(Math.max(0, Math.floor(now)) % 2 ** 48, 0, 6);
  b[6] = 0x70 | ((b[6] ?? 0) & 0x0f);
  b[8] = 0x80 | ((b[8] ?? 0) & 0x3f);
  const h = b.toString('hex').toUpperCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** CommunicationIDs are compared in upper case, as issued. */
export const communicationKey = (id: string) => id.toUpperCase();
