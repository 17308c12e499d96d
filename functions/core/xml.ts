/**
 * Partner XML, read safely (fast-xml-parser under the hub's guards). Its own module so that a function
 * that may meet XML loads the parser only when a document is XML (core/document.ts imports it on
 * demand); the packet format, which is XML by definition, imports it directly.
 */
import { type EntityDecoderOptions, type X2jOptions, XMLParser } from 'fast-xml-parser';
import { badRequest } from './errors.js';
import { capReason } from './reason.js';

const MAX_XML_DEPTH = 64;
/** fast-xml-parser slows down more than linearly on very long tag names (4× the name, ~10× the time). */
const MAX_XML_NAME = 1024;
/** fast-xml-parser reads attributes at about 0.5 MB/s (a tenth of its rate on elements): capped per element. */
const MAX_XML_ATTRIBUTES = 256;

/**
 * A parser for partner XML that cannot be turned against the hub: a DOCTYPE is refused (so no entity
 * can be declared, expanded or fetched), nesting is capped before the parser recurses, and the input is
 * validated, so malformed XML fails with the parser's own reason. Callers choose only the output shape.
 */
export function secureXmlParser(options: X2jOptions): (text: string) => unknown {
  const parser = new XMLParser(options);
  return (text) => {
    if (/<!DOCTYPE/i.test(text)) throw badRequest('invalid_document', 'XML with a DOCTYPE is refused.');
    const shape = xmlShape(text);
    if (shape.depth > MAX_XML_DEPTH) {
      throw badRequest('invalid_document', `XML nested deeper than ${MAX_XML_DEPTH} levels is refused.`);
    }
    if (shape.ltInAttribute) {
      // XML forbids it, and a tag whose quoted value hides `</x>` or `<!--` would mislead the count.
      throw badRequest('invalid_document', 'XML with a "<" inside an attribute value is refused.');
    }
    if (shape.mostAttributes > MAX_XML_ATTRIBUTES) {
      throw badRequest(
        'invalid_document',
        `XML elements with more than ${MAX_XML_ATTRIBUTES} attributes are refused.`,
      );
    }
    if (shape.longestName > MAX_XML_NAME) {
      throw badRequest('invalid_document', `XML names longer than ${MAX_XML_NAME} characters are refused.`);
    }
    try {
      return parser.parse(text, true);
    } catch (e) {
      throw badRequest(
        'invalid_document',
        `The document is not valid XML: ${capReason((e as Error).message)}`,
      );
    }
  };
}

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

/** XML 1.0's Char production: what a character reference may name. */
const isXmlChar = (c: number) =>
  c === 0x9 ||
  c === 0xa ||
  c === 0xd ||
  (c >= 0x20 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd) ||
  (c >= 0x10000 && c <= 0x10ffff);

/**
 * XML 1.0's entity rules for fast-xml-parser, in one pass: the five predefined entities and numeric
 * character references are decoded, and any other entity is an error, since without a DOCTYPE none can
 * be declared. (fast-xml-parser leaves `&#233;` undecoded unless htmlEntities is on, and that also
 * accepts HTML's names.) One pass matters: `&amp;lt;` must become `&lt;`, never `<`.
 */
export const xmlEntityDecoder: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => undefined,
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode(text) {
    if (!text.includes('&')) return text;
    return text.replace(/&([^;&\s]*);/g, (_m, ref: string) => {
      const named = Object.hasOwn(PREDEFINED_ENTITIES, ref) ? PREDEFINED_ENTITIES[ref] : undefined;
      if (named !== undefined) return named;
      const numeric = /^#x([0-9A-Fa-f]{1,6})$/.exec(ref) ?? /^#([0-9]{1,7})$/.exec(ref);
      if (!numeric)
        throw new Error(`the entity &${ref}; is not defined (XML defines amp, lt, gt, quot, apos)`);
      const code = Number.parseInt(numeric[1] as string, ref[1] === 'x' ? 16 : 10);
      if (!isXmlChar(code)) throw new Error(`&${ref}; does not name a character XML allows`);
      return String.fromCodePoint(code);
    });
  },
};

/**
 * How the hub reads XML everywhere (messages, packets, done bodies): attributes kept under `@`, values
 * left as strings, the five predefined entities and numeric references decoded, any other refused.
 */
export const HOUSE_XML_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  entityDecoder: xmlEntityDecoder,
  // The guard's bound, enforced again by the parser itself.
  maxNestedTags: MAX_XML_DEPTH,
} satisfies X2jOptions;

/**
 * Element names are data too (a field may be called `constructor`), but fast-xml-parser refuses
 * `__proto__`, `constructor` and `prototype` as names and renames `toString`, `hasOwnProperty` and the
 * like. So every element name reaches it with a mark in front, which no XML name can begin with (the
 * parser validates the names as written first): no key it builds is ever a property of
 * Object.prototype. Readers take the mark off again (`unmarkedElements`, or their own walk). The parser
 * calls the transform twice for a self-closing tag, hence the check.
 */
export const ELEMENT_MARK = '%';
export const markElementName = (name: string) => (name.startsWith(ELEMENT_MARK) ? name : ELEMENT_MARK + name);

/**
 * fast-xml-parser's output with the marks taken off element names. Keys are defined as own
 * properties, so an element called `__proto__` is an ordinary field and never a prototype.
 */
function unmarkedElements(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unmarkedElements);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = key.startsWith(ELEMENT_MARK) ? key.slice(ELEMENT_MARK.length) : key;
    Object.defineProperty(out, name, {
      value: unmarkedElements(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

const parseMarkedXml = /* @__PURE__ */ secureXmlParser({
  ...HOUSE_XML_OPTIONS,
  transformTagName: markElementName,
});

/**
 * Parses partner documents for filters and templates. XML is parsed without DOCTYPE (refused, so
 * no entity can be declared; the five predefined ones and numeric references are decoded), values
 * stay strings, and element names are kept as written, whatever they are.
 */
export const parseXml = (text: string): unknown => unmarkedElements(parseMarkedXml(text));

/**
 * An upper bound of element depth, and the longest element name, checked before the parser runs. One pass over the text, each
 * character looked at once, so it is linear on any input (a regular expression that looks ahead for a
 * tag's `>` is quadratic on `'<a'.repeat(n)`). Comments, CDATA sections and processing instructions
 * are skipped with one forward search each; a `<` inside an unfinished tag starts a new tag, which only
 * raises the bound (the parser then refuses the document anyway), and a `<` inside a quoted attribute
 * value is reported, since XML forbids it and it could hide a `</x>` from the count.
 */
export function xmlShape(text: string): {
  depth: number;
  longestName: number;
  mostAttributes: number;
  ltInAttribute: boolean;
} {
  let mostAttributes = 0;
  let depth = 0;
  let max = 0;
  let longestName = 0;
  let ltInAttribute = false;
  const n = text.length;
  let i = text.indexOf('<');
  while (i !== -1 && i < n) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) {
      const close = text.startsWith('<!--', i) ? '-->' : text.startsWith('<![CDATA[', i) ? ']]>' : '>';
      const end = text.indexOf(close, i + 2);
      if (end === -1) break;
      i = text.indexOf('<', end + close.length);
      continue;
    }
    const closing = next === 0x2f; /* / */
    if (!closing && !isNameStart(next)) {
      i = text.indexOf('<', i + 1);
      continue;
    }
    // Find the tag's end: the first `>` outside quotes, or the next `<` (a malformed tag); and the
    // length of its name, which runs to the first space, `/`, `>` or `<`.
    let j = i + (closing ? 2 : 1);
    const nameStart = j;
    let nameEnd = -1;
    let quote = 0;
    let end = -1;
    let attributes = 0;
    for (; j < n; j++) {
      const c = text.charCodeAt(j);
      if (nameEnd === -1 && (c <= 0x20 || c === 0x2f || c === 0x3e || c === 0x3c)) nameEnd = j;
      if (quote) {
        if (c === quote) quote = 0;
        else if (c === 0x3c) {
          ltInAttribute = true;
          break;
        }
      } else if (c === 0x22 || c === 0x27) {
        quote = c;
        attributes++;
      } else if (c === 0x3e) {
        end = j;
        break;
      } else if (c === 0x3c) break;
    }
    longestName = Math.max(longestName, (nameEnd === -1 ? j : nameEnd) - nameStart);
    mostAttributes = Math.max(mostAttributes, attributes);
    if (closing) depth = Math.max(0, depth - 1);
    else if (end === -1 || text.charCodeAt(end - 1) !== 0x2f) max = Math.max(max, ++depth);
    if (end === -1) i = j < n ? j : -1;
    else i = text.indexOf('<', end + 1);
  }
  return { depth: max, longestName, mostAttributes, ltInAttribute };
}

/** XML's NameStartChar, approximated: ASCII letters, `_`, `:` and anything past ASCII. */
const isNameStart = (c: number) =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a || c > 0x7f;
