import { xmlShape, parseXml } from './functions/core/document.ts';
const cases: Record<string,string> = {
  attrLt: '<r>' + '<a b="</x>">'.repeat(5000) + '</a>'.repeat(5000) + '</r>',
  attrLt2: '<a b="</x>">'.repeat(5000) + '</a>'.repeat(5000),
};
for (const [k, t] of Object.entries(cases)) {
  console.log(k, xmlShape(t));
  const t0 = Date.now();
  try { const v = parseXml(t); let d=0; let x: any = v; while (x && typeof x === 'object') { const ks = Object.keys(x).filter(k=>!k.startsWith('@')); if (!ks.length) break; x = x[ks[0]]; d++; } console.log('parsed depth', d, Date.now()-t0, 'ms'); }
  catch (e) { console.log('err', String((e as Error).message).slice(0,200), Date.now()-t0); }
}
