import { xmlShape, parseXml } from './functions/core/document.ts';
const MiB = 1024*1024;
const shapes: Record<string,(b:number)=>string> = {
  longAttrName: (b) => `<a ${'b'.repeat(b-8)}="1"/>`,
  longAttrValue: (b) => `<a b="${'x'.repeat(b-8)}"/>`,
  manyAttrsSameName: (b) => `<a ${'b="1" '.repeat(b/6)}/>`,
  longCloseName: (b) => `<a></${'a'.repeat(b-5)}>`,
  piLong: (b) => `<?${'x'.repeat(b-4)}?><a/>`,
  manySiblings: (b) => `<r>${'<a/>'.repeat(b/4)}</r>`,
  manyUnclosedSiblings: (b) => `<r>${'<a>'.repeat(60)}${'<b>x</b>'.repeat(b/8)}`,
  ampNoSemi: (b) => `<r>${'&'+'a'.repeat(b-8)}</r>`,
  ltInText: (b) => `<r b="${'<'.repeat(b-8)}"/>`,
  attrNoQuote: (b) => `<r ${'b '.repeat(b/2)}/>`,
  manyDistinctAttrs: (b) => `<a ${Array.from({ length: b / 12 }, (_, i) => `b${i}="1"`).join(' ')}/>`,
  manyDistinctTags: (b) => `<r>${Array.from({ length: b / 12 }, (_, i) => `<t${i}/>`).join('')}</r>`,
};
for (const [k, f] of Object.entries(shapes)) {
  const r: string[] = [];
  for (const size of [MiB/2, 2*MiB]) {
    const t = f(size);
    let t0 = performance.now(); xmlShape(t); const g = performance.now()-t0;
    t0 = performance.now(); let msg='ok'; try { parseXml(t); } catch (e) { msg = String((e as Error).message).slice(0,60); } const p = performance.now()-t0;
    r.push(`${(size/MiB)}MiB guard ${g.toFixed(0)}ms parse ${p.toFixed(0)}ms ${msg}`);
  }
  console.log(k.padEnd(22), r.join(' | '));
}
