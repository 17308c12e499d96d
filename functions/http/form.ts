import { badRequest } from '../core/errors.js';

export interface FormPost {
  fields: Record<string, string>;
  /** The document from the `payload` field or file. */
  payload?: { body: Buffer; contentType: string };
}

const isForm = (contentType: string) =>
  /^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(contentType);

/** A text field has no type of its own; its first character tells a document's usual kind. */
function sniff(text: string): string {
  const start = text.trimStart()[0];
  if (start === '<') return 'application/xml';
  if (start === '{' || start === '[') return 'application/json';
  return 'text/plain; charset=utf-8';
}

/**
 * Reads a form-encoded or multipart post (seed 000 partners that post HTML-form style): the routing
 * parameters may come as fields, the document as the field or file `payload`. Undefined for any
 * other content type. The body was size-capped before this runs.
 */
export async function readFormPost(contentType: string, body: Buffer): Promise<FormPost | undefined> {
  if (!isForm(contentType)) return undefined;
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw badRequest('invalid_form', 'The form body could not be read.');
  }
  const fields: Record<string, string> = {};
  let payload: FormPost['payload'];
  for (const [name, value] of form) {
    if (name === 'payload') {
      if (typeof value === 'string')
        payload = { body: Buffer.from(value, 'utf8'), contentType: sniff(value) };
      else
        payload = {
          body: Buffer.from(await value.arrayBuffer()),
          contentType: value.type || 'application/octet-stream',
        };
    } else if (typeof value === 'string' && !(name in fields) && name !== '__proto__') {
      fields[name] = value;
    }
  }
  return { fields, ...(payload ? { payload } : {}) };
}
