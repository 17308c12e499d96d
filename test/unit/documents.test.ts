import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { parseDocument } from '../../functions/core/document.js';
import { type Delivery, messageStatus } from '../../functions/core/message.js';
import { capReason, MAX_REASON_CHARS } from '../../functions/core/reason.js';
import { renderDocument } from '../../functions/core/render.js';
import { newSigningSecret } from '../../functions/core/secrets.js';
import { webhookHeaders } from '../../functions/core/signing.js';
import { xmlShape } from '../../functions/core/xml.js';

const xml = (s: string) => Buffer.from(s);

describe('documents', () => {
  it('parses XML with values kept as strings and entities decoded', async () => {
    expect(
      await parseDocument(xml('<o><no>00123</no><name>A &amp; B</name></o>'), 'application/xml'),
    ).toEqual({
      o: { no: '00123', name: 'A & B' },
    });
  });

  it('refuses DOCTYPE (so no entity can be declared or expanded) and deep nesting', async () => {
    const laughs = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>';
    await expect(parseDocument(xml(laughs), 'text/xml')).rejects.toThrow(/DOCTYPE/);
    const xxe = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>';
    await expect(parseDocument(xml(xxe), undefined)).rejects.toThrow(/DOCTYPE/);
    const deep = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    await expect(parseDocument(xml(deep), 'application/xml')).rejects.toThrow(/deeper/);
  });

  it('drops __proto__ keys from JSON documents', async () => {
    const doc = (await parseDocument(
      Buffer.from('{"__proto__":{"polluted":1},"a":1}'),
      'application/json',
    )) as Record<string, unknown>;
    expect(doc).toEqual({ a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('renders raw byte for byte, converts JSON ↔ XML, and applies templates', async () => {
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect(
      Buffer.compare(
        Buffer.from((await renderDocument(bytes, 'application/octet-stream', 'raw')).body),
        bytes,
      ),
    ).toBe(0);
    const toXml = await renderDocument(Buffer.from('{"Order":{"No":"1"}}'), 'application/json', 'xml');
    expect(Buffer.from(toXml.body).toString()).toBe('<Order><No>1</No></Order>');
    const toJson = await renderDocument(xml('<Order><No>01</No></Order>'), 'application/xml', 'json');
    expect(JSON.parse(Buffer.from(toJson.body).toString())).toEqual({ Order: { No: '01' } });
    const templated = await renderDocument(
      Buffer.from('{"a":{"b":5}}'),
      'application/json',
      'json',
      '{"value": a.b * 2}',
    );
    expect(JSON.parse(Buffer.from(templated.body).toString())).toEqual({ value: 10 });
  });

  it('signs per Standard Webhooks so a receiver’s library verifies it', () => {
    const secret = newSigningSecret();
    const body = Buffer.from('{"x":1}');
    const headers = webhookHeaders('msg_1.int_1', new Date(), body, { secret });
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSigningSecret()).verify(body, headers)).toThrow();
  });

  it('signs the exact bytes of a body that is not UTF-8', () => {
    const secret = newSigningSecret();
    const latin1 = Buffer.from('<name>Müller</name>', 'latin1');
    const at = new Date('2026-11-23T10:00:00Z');
    const headers = webhookHeaders('msg_2.int_1', at, latin1, { secret });
    const expected = createHmac('sha256', Buffer.from(secret.slice(6), 'base64'))
      .update(Buffer.concat([Buffer.from(`msg_2.int_1.${at.getTime() / 1000}.`), latin1]))
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('stops signing with a rotated-out secret once its overlap ends', () => {
    const now = new Date('2026-11-23T10:00:00Z');
    const body = Buffer.from('x');
    const overlap = { secret: newSigningSecret(), previousSecret: newSigningSecret() };
    const during = webhookHeaders('id', now, body, {
      ...overlap,
      previousSecretValidUntil: '2026-11-23T11:00:00Z',
    });
    const after = webhookHeaders('id', now, body, {
      ...overlap,
      previousSecretValidUntil: '2026-11-23T09:00:00Z',
    });
    expect(during['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(after['webhook-signature']?.split(' ')).toHaveLength(1);
  });

  it('derives the message status from its deliveries', () => {
    const d = (status: Delivery['status'], attemptCount = 1) => ({ status, attemptCount }) as Delivery;
    expect(messageStatus([d('queued', 0)])).toBe('accepted');
    expect(messageStatus([d('retrying'), d('queued', 0)])).toBe('pending');
    expect(messageStatus([d('delivered'), d('delivered')])).toBe('delivered');
    expect(messageStatus([d('delivered'), d('failed')])).toBe('failed');
  });
});

describe('XML character references in messages', () => {
  it('decodes numeric references and refuses undeclared entities', async () => {
    expect(await parseDocument(Buffer.from('<n>Caf&#233; &#x263A; &amp;lt;</n>'), 'application/xml')).toEqual(
      {
        n: 'Café ☺ &lt;',
      },
    );
    await expect(parseDocument(Buffer.from('<n>&nbsp;</n>'), 'application/xml')).rejects.toThrow(
      /not defined/,
    );
  });

  it('measures depth and the longest name in one pass, skipping comments, CDATA and instructions', async () => {
    expect(xmlShape('<a><b/><c x="1>"><d></d></c></a>')).toEqual({
      depth: 3,
      longestName: 1,
      mostAttributes: 1,
      ltInAttribute: false,
    });
    expect(xmlShape('<?xml version="1.0"?><!-- <x><y><z> --><a><![CDATA[<b><c>]]></a>')).toEqual({
      depth: 1,
      longestName: 1,
      mostAttributes: 0,
      ltInAttribute: false,
    });
    expect(xmlShape(`<Order><${'N'.repeat(2000)}>1</${'N'.repeat(2000)}></Order>`).longestName).toBe(2000);
    // Malformed shapes only raise the bound; none of them makes it look ahead again and again.
    expect(xmlShape('<a'.repeat(100_000)).depth).toBe(100_000);
    expect(xmlShape(`<a b="${'<'.repeat(100_000)}`).depth).toBe(1);
    // A quoted "<" could hide a closing tag from the count: it is reported, and parseXml refuses it.
    expect(xmlShape('<a b="</x>">'.repeat(5000)).ltInAttribute).toBe(true);
    await expect(parseDocument(xml('<a b="</x>"><a/></a>'), 'application/xml')).rejects.toThrow(
      /inside an attribute/,
    );
    expect(xmlShape('<a b="x > y"/>').ltInAttribute).toBe(false);
    // Attributes are counted per element (by their quoted values), and more than 256 are refused.
    const attrs = (k: number) => `<a ${Array.from({ length: k }, (_, i) => `b${i}="1"`).join(' ')}/>`;
    expect(xmlShape(attrs(300)).mostAttributes).toBe(300);
    await expect(parseDocument(xml(attrs(256)), 'application/xml')).resolves.toBeDefined();
    await expect(parseDocument(xml(attrs(257)), 'application/xml')).rejects.toThrow(
      /more than 256 attributes/,
    );
  });

  it('caps a reason on a character boundary', () => {
    expect(capReason('short')).toBe('short');
    const long = capReason('x'.repeat(300_000));
    expect(long.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(long.endsWith('(cut)')).toBe(true);
    // An emoji straddling the cut is dropped whole, never split into a lone surrogate.
    const straddling = capReason(`${'x'.repeat(MAX_REASON_CHARS - 8)}😀😀😀😀😀`);
    expect(straddling.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(straddling).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('keeps element names as data in message XML: constructor, prototype, __proto__ and toString are fields', async () => {
    const doc = (await parseDocument(
      xml(
        '<a><constructor>1</constructor><prototype>2</prototype><toString>3</toString><__proto__><polluted>x</polluted></__proto__></a>',
      ),
      'application/xml',
    )) as { a: Record<string, unknown> };
    expect(Object.keys(doc.a)).toEqual(['constructor', 'prototype', 'toString', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(doc.a, '__proto__')?.value).toEqual({ polluted: 'x' });
    expect(Object.getPrototypeOf(doc.a)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
