import { XMLBuilder } from 'fast-xml-parser';
import { looksLikeXml, parseDocument } from './document.js';
import { describeFailure, evaluateExpression } from './expressions.js';

export interface Rendered {
  body: Uint8Array;
  contentType: string;
}

const xmlBuilder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@', format: false });

/**
 * Renders a document for a counterparty: `raw` sends it byte for byte; `json` and `xml` convert
 * between the two; a JSONata `template` reshapes the parsed document first. Throws on a document or
 * template that cannot be rendered; the caller records that on the attempt.
 */
export async function renderDocument(
  body: Uint8Array,
  contentType: string,
  format: 'raw' | 'json' | 'xml',
  template?: string,
): Promise<Rendered> {
  if (!template && format === 'raw') return { body, contentType };
  const text = Buffer.from(body).toString('utf8');
  const inputIsXml = looksLikeXml(contentType, text);
  if (!template) {
    if (format === 'xml' && inputIsXml) return { body, contentType: 'application/xml' };
    if (format === 'json' && !inputIsXml) {
      JSON.parse(text);
      return { body, contentType: 'application/json' };
    }
  }
  let value = parseDocument(body, contentType);
  if (template) value = await applyTemplate(template, value);
  if (format === 'xml') return { body: Buffer.from(xmlBuilder.build(value)), contentType: 'application/xml' };
  return { body: Buffer.from(JSON.stringify(value ?? null)), contentType: 'application/json' };
}

/**
 * Applies a template under the expression budget. Its failure (an error, or an overrun) is thrown
 * with the reason; the attempt records it and the delivery fails without retry, since the same
 * template on the same document fails the same way.
 */
async function applyTemplate(template: string, document: unknown): Promise<unknown> {
  const r = await evaluateExpression(template, document);
  if (!r.ok) throw new Error(describeFailure(r));
  return r.value;
}
