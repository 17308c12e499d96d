import { badRequest } from '../core/errors.js';
import { capReason } from '../core/reason.js';
import type { HubRequest } from './middleware.js';

export interface FormPost {
  fields: Record<string, string>;
  /** The document from the `payload` field or file, byte for byte. */
  payload?: { body: Buffer; contentType: string };
}

const FORM = /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** A text field has no type of its own; its first character tells a document's usual kind. */
function sniff(bytes: Buffer): string {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d) i++;
  if (bytes[i] === 0x3c) return 'application/xml';
  if (bytes[i] === 0x7b || bytes[i] === 0x5b) return 'application/json';
  try {
    utf8.decode(bytes);
    return 'text/plain; charset=utf-8';
  } catch {
    return 'application/octet-stream';
  }
}

interface Part {
  name: string;
  value: Buffer;
  /** Set for a file part: its own Content-Type, or application/octet-stream. */
  fileType?: string;
}

/**
 * Reads a form-encoded or multipart post (seed 000 partners that post HTML-form style): the routing
 * parameters may come as fields, the document as the field or file `payload`. Undefined for any
 * other content type. The body was size-capped before this runs. The document keeps its bytes, as
 * field or file (a platform form parser would read a field as UTF-8 and replace what is not); the
 * other fields must be UTF-8.
 */
export async function readFormPost(contentType: string, body: Buffer): Promise<FormPost | undefined> {
  if (!FORM.test(contentType)) return undefined;
  const parts = /^multipart\//i.test(contentType)
    ? multipartParts(body, boundaryOf(contentType))
    : urlencodedParts(body);
  const fields: Record<string, string> = {};
  let payload: FormPost['payload'];
  for (const part of parts) {
    if (part.name === 'payload') {
      payload ??= { body: part.value, contentType: part.fileType ?? sniff(part.value) };
    } else if (part.fileType === undefined && !(part.name in fields) && part.name !== '__proto__') {
      try {
        fields[part.name] = utf8.decode(part.value);
      } catch {
        throw badRequest('invalid_form', capReason(`The form field "${part.name}" is not valid UTF-8.`));
      }
    }
  }
  return { fields, ...(payload ? { payload } : {}) };
}

/**
 * A form post read as the request it stands for: its fields join the query (query parameters win)
 * and its `payload` is the body, with its own type. Any other request is left as it is.
 */
export async function formAsQuery(req: HubRequest): Promise<HubRequest> {
  const form = await readFormPost(req.headers['content-type'] || 'application/octet-stream', req.body);
  if (!form) return req;
  return {
    ...req,
    query: { ...form.fields, ...req.query },
    body: form.payload?.body ?? Buffer.alloc(0),
    headers: { ...req.headers, 'content-type': form.payload?.contentType ?? 'application/octet-stream' },
  };
}

/** `a=1&b=%C3%A9+x`, as the URL standard's urlencoded parser splits it, but keeping the bytes. */
function* urlencodedParts(body: Buffer): Generator<Part> {
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(0x26, start);
    if (end < 0) end = body.length;
    if (end > start) {
      const pair = body.subarray(start, end);
      const eq = pair.indexOf(0x3d);
      const name = percentDecode(eq < 0 ? pair : pair.subarray(0, eq));
      yield {
        name: lenient.decode(name),
        value: eq < 0 ? Buffer.alloc(0) : percentDecode(pair.subarray(eq + 1)),
      };
    }
    start = end + 1;
  }
}

const hex = (b: number | undefined) =>
  b === undefined
    ? -1
    : b >= 0x30 && b <= 0x39
      ? b - 0x30
      : (b | 0x20) >= 0x61 && (b | 0x20) <= 0x66
        ? (b | 0x20) - 0x57
        : -1;

function percentDecode(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const hi = b === 0x25 ? hex(bytes[i + 1]) : -1;
    const lo = hi >= 0 ? hex(bytes[i + 2]) : -1;
    if (lo >= 0) {
      out[n++] = hi * 16 + lo;
      i += 2;
    } else out[n++] = b === 0x2b ? 0x20 : b;
  }
  return out.subarray(0, n);
}

function boundaryOf(contentType: string): string {
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw badRequest('invalid_form', 'The multipart body has no boundary in its Content-Type.');
  return boundary;
}

const CRLF = Buffer.from('\r\n');
const HEADERS_END = Buffer.from('\r\n\r\n');

/** The parts of a multipart/form-data body (RFC 7578): each part's name, bytes and, for a file, type. */
function* multipartParts(body: Buffer, boundary: string): Generator<Part> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const malformed = () => badRequest('invalid_form', 'The multipart body is malformed.');
  // The first delimiter may open the body or follow a preamble; each next one follows a CRLF.
  let at = body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2))
    ? -2
    : body.indexOf(delimiter);
  if (at === -1) throw malformed();
  for (;;) {
    let i = at + delimiter.length;
    if (body[i] === 0x2d && body[i + 1] === 0x2d) return;
    while (body[i] === 0x20 || body[i] === 0x09) i++;
    if (!body.subarray(i, i + 2).equals(CRLF)) throw malformed();
    const headersEnd = body.indexOf(HEADERS_END, i);
    if (headersEnd < 0) throw malformed();
    const contentStart = headersEnd + HEADERS_END.length;
    const next = body.indexOf(delimiter, contentStart);
    if (next < 0) throw malformed();
    const part = partOf(lenient.decode(body.subarray(i + 2, headersEnd)), body.subarray(contentStart, next));
    if (part) yield part;
    at = next;
  }
}

function partOf(headerText: string, value: Buffer): Part | undefined {
  let disposition = '';
  let type = '';
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    const header = line.slice(0, colon).trim().toLowerCase();
    if (header === 'content-disposition') disposition = line.slice(colon + 1);
    else if (header === 'content-type') type = line.slice(colon + 1).trim();
  }
  if (!/^\s*form-data\s*(;|$)/i.test(disposition)) return undefined;
  const params: Record<string, string> = {};
  for (const m of disposition.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    const key = (m[1] ?? '').toLowerCase();
    if (!(key in params)) params[key] = m[2]?.replace(/\\(.)/g, '$1') ?? m[3]?.trim() ?? '';
  }
  if (params.name === undefined) return undefined;
  const isFile = params.filename !== undefined || params['filename*'] !== undefined;
  return { name: params.name, value, ...(isFile ? { fileType: type || 'application/octet-stream' } : {}) };
}
