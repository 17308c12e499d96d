/**
 * The XML guard on adversarial input, next to fast-xml-parser on a normal document: every check on
 * partner bytes must be linear, so the guard's worst case should run at a rate of the same order as
 * parsing a well-formed order. Each shape is measured at 1 MiB and 4 MiB: a linear check keeps its
 * MB/s as the input grows; a quadratic one (the old look-ahead regex on `<a<a…`) falls by 4×.
 */
import { XMLParser } from 'fast-xml-parser';
import { HOUSE_XML_OPTIONS, parseXml, xmlShape } from '../functions/core/xml.js';

const MiB = 1024 * 1024;

const ADVERSARIAL: Record<string, (bytes: number) => string> = {
  'unclosed tags <a<a<a…': (b) => '<a'.repeat(b / 2),
  'deep nesting <a><a>…': (b) => '<a>'.repeat(b / 3),
  'unclosed quote <a b="<<<…': (b) => `<a b="${'<'.repeat(b - 6)}`,
  'open comments <!--<!--…': (b) => '<!--'.repeat(b / 4),
  'open CDATA <![CDATA[…': (b) => '<![CDATA['.repeat(b / 9),
  'one huge name <aaaa…/>': (b) => `<${'a'.repeat(b - 3)}/>`,
  'many attributes': (b) => `<a ${Array.from({ length: b / 10 }, (_, i) => `b${i}="1"`).join(' ')}/>`,
};

function normalOrder(bytes: number): string {
  const line = (i: number) =>
    `<Line no="${i}"><Item>SKU-${i}</Item><Description>Pallet of goods &amp; parts</Description><Qty>12</Qty><Price>9.95</Price></Line>`;
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const l = line(i);
    lines.push(l);
    size += l.length;
  }
  return `<Order><No>SO-1</No><Lines>${lines.join('')}</Lines></Order>`;
}

/** MB/s of `fn` over `text`: the best of a few runs, since the machine's other load only slows it. */
function rate(text: string, fn: (t: string) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    try {
      fn(text);
    } catch {
      // Refusing is the expected outcome for most adversarial shapes; the time is what counts.
    }
    best = Math.min(best, performance.now() - t0);
  }
  return text.length / MiB / (best / 1000);
}

export function benchXml() {
  const parser = new XMLParser(HOUSE_XML_OPTIONS);
  const rows: { shape: string; guard1: number; guard4: number; whole1: number; whole4: number }[] = [];
  for (const [shape, make] of Object.entries(ADVERSARIAL)) {
    const one = make(MiB);
    const four = make(4 * MiB);
    rows.push({
      shape,
      guard1: rate(one, xmlShape),
      guard4: rate(four, xmlShape),
      whole1: rate(one, parseXml),
      whole4: rate(four, parseXml),
    });
  }
  const order = normalOrder(MiB);
  return { rows, normalParse: rate(order, (t) => parser.parse(t)), normalGuard: rate(order, xmlShape) };
}
