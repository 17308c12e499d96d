import { XMLParser } from 'fast-xml-parser';
import { badRequest } from './errors.js';

/**
 * Parses partner documents for filters and templates. XML is parsed without DOCTYPE (refused, so
 * no entity can be declared and none expanded beyond the five predefined ones) and values stay strings.
 */
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
});

const MAX_XML_DEPTH = 64;

export function looksLikeXml(contentType: string | undefined, text: string): boolean {
  return /xml/i.test(contentType ?? '') || /^\s*</.test(text);
}

export function parseDocument(body: Uint8Array, contentType: string | undefined): unknown {
  const text = Buffer.from(body).toString('utf8');
  if (looksLikeXml(contentType, text)) return parseXml(text);
  try {
    return JSON.parse(text, (key, value) => (key === '__proto__' ? undefined : value));
  } catch (e) {
    throw badRequest('invalid_document', `The document is not valid JSON: ${(e as Error).message}`);
  }
}

export function parseXml(text: string): unknown {
  if (/<!DOCTYPE/i.test(text)) throw badRequest('invalid_document', 'XML with a DOCTYPE is refused.');
  if (nestingDepth(text) > MAX_XML_DEPTH) {
    throw badRequest('invalid_document', `XML nested deeper than ${MAX_XML_DEPTH} levels is refused.`);
  }
  try {
    return xmlParser.parse(text, true);
  } catch (e) {
    throw badRequest('invalid_document', `The document is not valid XML: ${(e as Error).message}`);
  }
}

/** A cheap upper bound of element depth, checked before the parser recurses. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const m of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (m[1]) depth--;
    else if (!m[2]) max = Math.max(max, ++depth);
  }
  return max;
}
