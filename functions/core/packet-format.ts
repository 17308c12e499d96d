import * as z from 'zod/mini';
import { DoneBodySchema } from './lease.js';
import { capReason } from './reason.js';
import { ELEMENT_MARK, HOUSE_XML_OPTIONS, markElementName, secureXmlParser } from './xml.js';

/**
 * The Synchronization Packet Format (shared/API.md): Dynamics Mobile's XML, and the JSON that mirrors
 * it, which is also the native form devices read. Both are read into one raw shape and checked by one
 * set of rules, so the two formats cannot drift apart.
 */

export type RecordStatus = 'insert' | 'update' | 'delete';

export interface NativeRecord {
  status: RecordStatus;
  /** Field name → value, always a string; a null field is left out. */
  fields: Record<string, string>;
}
export interface NativeTable {
  tablename: string;
  records: NativeRecord[];
}
export interface NativePacket {
  salesmancode: string;
  tables: NativeTable[];
}

export type Conversion = { ok: true; packet: NativePacket } | { ok: false; reason: string };

/** The record key every record carries. */
export const ROW_ID_FIELD = 'DMS_ROWID';

/** Reads a packet in `type` (xml or json) and converts it to the native form, or says why it cannot. */
export function convertPacket(body: Uint8Array, type: 'xml' | 'json'): Conversion {
  try {
    const text = decodeText(body);
    const raw = type === 'xml' ? rawFromXml(text) : rawFromJson(text);
    return { ok: true, packet: normalize(raw) };
  } catch (e) {
    return { ok: false, reason: capReason((e as Error).message) };
  }
}

class PacketFormatError extends Error {}
const fail = (message: string): never => {
  throw new PacketFormatError(message);
};

/**
 * Packets are UTF-8 (a BOM is allowed) or UTF-16 with its BOM; bytes that are not valid in the
 * encoding fail the packet rather than being silently replaced.
 */
function decodeText(body: Uint8Array): string {
  const [a, b] = body;
  const encoding = a === 0xff && b === 0xfe ? 'utf-16le' : a === 0xfe && b === 0xff ? 'utf-16be' : 'utf-8';
  try {
    // TextDecoder drops the BOM itself.
    return new TextDecoder(encoding, { fatal: true }).decode(body);
  } catch {
    return fail(`The packet is not valid ${encoding.toUpperCase()} text.`);
  }
}

// ---- The raw shape both formats are read into ----

interface RawRecord {
  status?: string | undefined;
  fields: [name: string, value: string | null][];
}
interface RawTable {
  tablename?: string | undefined;
  records: RawRecord[];
}
interface RawPacket {
  salesmancode?: string | undefined;
  tables: RawTable[];
}

/** The rules of the format, for either source. */
function normalize(raw: RawPacket): NativePacket {
  const salesmancode = raw.salesmancode;
  if (!salesmancode) fail('The packet names no salesmancode (the mobile user it is for or from).');
  if (raw.tables.length === 0) fail('The packet has no table.');
  const seen = new Set<string>();
  const tables = raw.tables.map((t, ti): NativeTable => {
    const tablename = t.tablename ?? '';
    if (!tablename) fail(`Table ${ti + 1} has no tablename.`);
    if (seen.has(tablename)) fail(`The table ${tablename} appears twice; a tablename is unique in a packet.`);
    seen.add(tablename);
    if (t.records.length === 0) fail(`The table ${tablename} has no record.`);
    return {
      tablename,
      records: t.records.map((r, ri) => {
        const where = `Record ${ri + 1} of table ${tablename}`;
        const fields: Record<string, string> = {};
        for (const [name, value] of r.fields) {
          if (Object.hasOwn(fields, name)) fail(`${where} has the field ${name} twice.`);
          if (value !== null) setField(fields, name, value);
        }
        if (!fields[ROW_ID_FIELD]) fail(`${where} has no ${ROW_ID_FIELD} (the record's key).`);
        return { status: recordStatus(r.status, where), fields };
      }),
    };
  });
  return { salesmancode: salesmancode as string, tables };
}

/**
 * Field names are the partner's data: `constructor`, `toString` or `__proto__` is a field like any
 * other. It is defined as an own property, since assigning `__proto__` would set the prototype of the
 * fields object instead (and drop the field); nothing is ever assigned through a partner's name.
 */
function setField(fields: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(fields, name, { value, enumerable: true, writable: true, configurable: true });
}

/** insert | update | delete; their examples also write `inserted`, or leave the status out (insert). */
function recordStatus(raw: string | undefined, where: string): RecordStatus {
  const s = (raw ?? '').trim().toLowerCase();
  if (s === '' || s === 'insert' || s === 'inserted') return 'insert';
  if (s === 'update' || s === 'delete') return s;
  return fail(`${where} has the status "${raw}"; it must be insert, update or delete.`);
}

// ---- XML ----

/**
 * Values keep their whitespace (trimValues off: they are data), entities follow XML 1.0 exactly, the
 * declaration and processing instructions are skipped.
 */
// Pure: a bundle that never parses packets (the URL routes) leaves fast-xml-parser out.
const parsePacketXml = /* @__PURE__ */ secureXmlParser({
  ...HOUSE_XML_OPTIONS,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: markElementName,
});

const ROOT = 'NavMobileSync';

interface XmlElement {
  attributes: Map<string, string>;
  /** Child elements by name, in document order of first appearance. */
  children: Map<string, unknown[]>;
  /** Text directly inside the element (CDATA included). */
  text: string;
}

/**
 * fast-xml-parser's output for one element, taken apart: `@name` attributes, `#text`, children
 * (their names marked: see markElementName in document.ts).
 */
function elementOf(value: unknown): XmlElement {
  const element: XmlElement = { attributes: new Map(), children: new Map(), text: '' };
  if (typeof value === 'string') {
    element.text = value;
    return element;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === '#text') element.text = String(v);
    else if (key.startsWith('@')) element.attributes.set(key.slice(1), String(v));
    else if (key.startsWith(ELEMENT_MARK)) {
      element.children.set(key.slice(ELEMENT_MARK.length), Array.isArray(v) ? v : [v]);
    }
  }
  return element;
}

/** Whitespace between elements is layout; any other text outside a field is a mistake worth naming. */
function noText(e: XmlElement, where: string): void {
  if (e.text.trim() !== '') fail(`${where} holds text outside any field: "${e.text.trim().slice(0, 40)}".`);
}

function only(e: XmlElement, allowed: string, where: string): unknown[] {
  for (const name of e.children.keys()) {
    if (name !== allowed) fail(`${where} may hold only <${allowed}> elements, not <${name}>.`);
  }
  return e.children.get(allowed) ?? [];
}

/** An attribute by its name, any case (their examples spell salesmancode and salesmanCode). */
const attribute = (e: XmlElement, name: string): string | undefined => {
  for (const [k, v] of e.attributes) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
};

function rawFromXml(text: string): RawPacket {
  let parsed: unknown;
  try {
    parsed = parsePacketXml(text);
  } catch (e) {
    return fail((e as Error).message);
  }
  const document = elementOf(parsed);
  noText(document, 'The document');
  const roots = [...document.children.keys()];
  if (roots.length !== 1 || roots[0] !== ROOT) {
    fail(
      `The packet must have one root element, <${ROOT}>${roots.length ? `; it has <${roots.join('>, <')}>` : ''}.`,
    );
  }
  const rootValues = document.children.get(ROOT) ?? [];
  if (rootValues.length !== 1) fail(`There must be one <${ROOT}> element.`);
  const root = elementOf(rootValues[0]);
  noText(root, `<${ROOT}>`);
  return {
    salesmancode: attribute(root, 'salesmancode'),
    tables: only(root, 'table', `<${ROOT}>`).map((tv, ti) => {
      const table = elementOf(tv);
      const tablename = attribute(table, 'tablename');
      const where = `Table ${tablename ?? ti + 1}`;
      noText(table, where);
      return {
        tablename,
        records: only(table, 'r', where).map((rv, ri) => {
          const record = elementOf(rv);
          const at = `Record ${ri + 1} of table ${tablename ?? ti + 1}`;
          noText(record, at);
          const fields: RawRecord['fields'] = [];
          for (const [name, values] of record.children) {
            if (values.length > 1) fail(`${at} has the field ${name} twice.`);
            fields.push([name, fieldValue(elementOf(values[0]), `${at}, field ${name}`)]);
          }
          return { status: attribute(record, 'status'), fields };
        }),
      };
    }),
  };
}

/** A field's text; `xsi:nil="true"` (any prefix) is a null field, which the native form leaves out. */
function fieldValue(e: XmlElement, where: string): string | null {
  if (e.children.size > 0) fail(`${where} holds elements; a field holds only text.`);
  for (const [name, value] of e.attributes) {
    if ((name === 'nil' || name.endsWith(':nil')) && value.trim() === 'true') return null;
  }
  return e.text;
}

// ---- JSON ----

const JsonPacketSchema = z.strictObject({
  salesmancode: z.optional(z.string()),
  salesmanCode: z.optional(z.string()),
  tables: z.array(
    z.strictObject({
      tablename: z.string(),
      records: z.array(
        z.strictObject({
          status: z.optional(z.string()),
          // Checked below, not by z.record, which drops a field named `__proto__`.
          fields: z.custom<Record<string, unknown>>(
            (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
            { error: 'must be an object of field names and string values' },
          ),
        }),
      ),
    }),
  ),
});

function rawFromJson(text: string): RawPacket {
  let value: unknown;
  try {
    // JSON.parse defines every key as an own property (never through the `__proto__` setter), so a
    // field named `__proto__` or `constructor` is plain data here; elsewhere the strict schema
    // refuses it as an unknown property.
    value = JSON.parse(text);
  } catch (e) {
    return fail(`The packet is not valid JSON: ${(e as Error).message}`);
  }
  const notTheFormat = (path: string, message: string): never =>
    fail(`The JSON packet does not have the format: ${path}: ${message}.`);
  const r = JsonPacketSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    return notTheFormat(
      issue?.path.join('.') || '(packet)',
      issue?.code === 'unrecognized_keys'
        ? `unknown property ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : (issue?.message ?? 'is invalid'),
    );
  }
  return {
    salesmancode: r.data.salesmancode ?? r.data.salesmanCode,
    tables: r.data.tables.map((t, ti) => ({
      tablename: t.tablename,
      records: t.records.map((rec, ri) => ({
        status: rec.status,
        fields: Object.entries(rec.fields).map(([name, v]): [string, string | null] =>
          typeof v === 'string' || v === null
            ? [name, v]
            : notTheFormat(
                `tables.${ti}.records.${ri}.fields.${name}`,
                'must be a string (values stay strings)',
              ),
        ),
      })),
    })),
  };
}

// ---- Done bodies and pull listings in XML ----

/**
 * Parses a done body in XML: `<messages><message><id/><receiptHandle/></message>…</messages>`, into
 * the same items a JSON body gives. Returns the items, or the reason the body is refused.
 */
export function doneItemsFromXml(
  text: string,
): { ok: true; items: z.output<typeof DoneBodySchema> } | { ok: false; reason: string } {
  try {
    const document = elementOf(parseDoneXml(text));
    const roots = [...document.children.keys()];
    if (roots.length !== 1 || roots[0] !== 'messages' || document.children.get('messages')?.length !== 1) {
      fail('The body must be one <messages> element holding <message> elements.');
    }
    const root = elementOf(document.children.get('messages')?.[0]);
    noText(root, '<messages>');
    const items = only(root, 'message', '<messages>').map((mv, i) => {
      const message = elementOf(mv);
      const where = `<message> ${i + 1}`;
      noText(message, where);
      const item: Record<string, string> = {};
      for (const [name, values] of message.children) {
        if (name !== 'id' && name !== 'receiptHandle')
          fail(`${where} may hold only <id> and <receiptHandle>.`);
        if (values.length > 1) fail(`${where} has <${name}> twice.`);
        item[name] = fieldValue(elementOf(values[0]), `${where} <${name}>`) ?? '';
      }
      for (const name of ['id', 'receiptHandle']) {
        if (!item[name]) fail(`${where} has no <${name}>.`);
      }
      return item;
    });
    const r = DoneBodySchema.safeParse(items);
    if (!r.success) {
      const issue = r.error.issues[0];
      fail(
        `${issue?.path.length ? `<message> ${Number(issue.path[0]) + 1}: ` : ''}${issue?.message ?? 'is invalid'}.`,
      );
    }
    return { ok: true, items: r.data as z.output<typeof DoneBodySchema> };
  } catch (e) {
    return { ok: false, reason: capReason((e as Error).message) };
  }
}

const parseDoneXml = /* @__PURE__ */ secureXmlParser({
  ...HOUSE_XML_OPTIONS,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: markElementName,
});

const escapeXml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

/** `<packets><packet><id>…</id>…</packet></packets>`: the pull listing in XML, one element per field. */
export function packetsToXml<T extends { [K in keyof T]: string | number }>(packets: readonly T[]): string {
  const body = packets
    .map(
      (p) =>
        `<packet>${Object.entries(p as object)
          .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
          .join('')}</packet>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><packets>${body}</packets>`;
}
