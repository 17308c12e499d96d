import { badRequest } from './errors.js';
import { capReason } from './reason.js';

export function looksLikeXml(contentType: string | undefined, text: string): boolean {
  return /xml/i.test(contentType ?? '') || /^\s*</.test(text);
}

/**
 * A partner document as data, for filters and templates: JSON, or XML through core/xml.ts. The XML
 * parser (with its dependencies, about 80 KB of bundle) is imported the first time a document is XML,
 * so a function whose documents are JSON never loads it (lib/bundling.ts splits it into a chunk).
 */
export async function parseDocument(body: Uint8Array, contentType: string | undefined): Promise<unknown> {
  const text = Buffer.from(body).toString('utf8');
  if (looksLikeXml(contentType, text)) return (await import('./xml.js')).parseXml(text);
  try {
    return JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value));
  } catch (e) {
    throw badRequest(
      'invalid_document',
      `The document is not valid JSON: ${capReason((e as Error).message)}`,
    );
  }
}
