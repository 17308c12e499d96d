import { looksLikeXml, parseDocument } from './document.js';
import { describeFailure, evaluateExpression, XML_OUTPUT_OPTIONS } from './expressions.js';

export interface Rendered {
  body: Uint8Array;
  contentType: string;
}

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
  const value = await parseDocument(body, contentType);
  const contentTypeOut = format === 'xml' ? 'application/xml' : 'application/json';
  if (template)
    return { body: Buffer.from(await applyTemplate(template, value, format)), contentType: contentTypeOut };
  if (format === 'xml') {
    // The builder is loaded when a delivery first converts to XML, not at the function's cold start.
    const { XMLBuilder } = await import('fast-xml-parser');
    return {
      body: Buffer.from(new XMLBuilder(XML_OUTPUT_OPTIONS).build(value)),
      contentType: contentTypeOut,
    };
  }
  return { body: Buffer.from(JSON.stringify(value ?? null)), contentType: contentTypeOut };
}

/**
 * Applies a template under the expression budget; the body (JSON or XML text, at most
 * MAX_RESULT_CHARS) is written inside the budget too, so a template cannot make the function build
 * a huge body. Its failure (an error, an overrun) is thrown with the reason; the attempt records it
 * and the delivery fails without retry, since the same template on the same document fails the same way.
 */
async function applyTemplate(
  template: string,
  document: unknown,
  format: 'raw' | 'json' | 'xml',
): Promise<string> {
  const r = await evaluateExpression(template, document, format === 'xml' ? 'xml' : 'json');
  if (!r.ok) throw new Error(describeFailure(r));
  return r.value as string;
}
