import { describe, expect, it } from 'vitest';
import {
  deviceMailbox,
  erpMailbox,
  mailboxOf,
  mayDownload,
  type Packet,
  packetIdOfKey,
  packetIdOfPath,
  sameAnnouncement,
} from '../../functions/core/packet.js';
import { convertPacket, doneItemsFromXml, packetsToXml } from '../../functions/core/packet-format.js';

const bytes = (s: string) => Buffer.from(s);
const reasonOf = (body: string | Uint8Array, type: 'xml' | 'json' = 'xml') => {
  const r = convertPacket(typeof body === 'string' ? bytes(body) : body, type);
  if (r.ok) throw new Error('expected the packet to fail');
  return r.reason;
};
const wrap = (records: string, attrs = 'salesmancode="user1"') =>
  `<NavMobileSync ${attrs}><table tablename="Customers">${records}</table></NavMobileSync>`;

/** The format section's XML sample, and the native JSON it must become. */
const SAMPLE_XML = `<?xml version="1.0" encoding="utf-8"?>
<NavMobileSync salesmancode="user1">
  <table tablename="Customers">
    <r status="insert">
      <DMS_ROWID>123e4567-e89b-12d3-a456-426614174001</DMS_ROWID>
      <No>00123</No>
      <Name>Acme &amp; Co</Name>
    </r>
  </table>
</NavMobileSync>`;
const SAMPLE_NATIVE = {
  salesmancode: 'user1',
  tables: [
    {
      tablename: 'Customers',
      records: [
        {
          status: 'insert',
          fields: { DMS_ROWID: '123e4567-e89b-12d3-a456-426614174001', No: '00123', Name: 'Acme & Co' },
        },
      ],
    },
  ],
};

describe('sync packet format', () => {
  it('converts the contract’s XML sample to its native JSON, values kept as strings', () => {
    expect(convertPacket(bytes(SAMPLE_XML), 'xml')).toEqual({ ok: true, packet: SAMPLE_NATIVE });
  });

  it('reads the JSON form to the same native form', () => {
    expect(convertPacket(bytes(JSON.stringify(SAMPLE_NATIVE)), 'json')).toEqual({
      ok: true,
      packet: SAMPLE_NATIVE,
    });
  });

  it('decodes entities once (numeric too), keeps CDATA literal, whitespace and empty values', () => {
    const r = convertPacket(
      bytes(
        wrap(
          '<r><DMS_ROWID>1</DMS_ROWID><A>&#233;&#x41; &amp;lt; &quot;q&apos;</A><B><![CDATA[x &amp; <y>]]></B><C>  padded </C><D/></r>',
        ),
      ),
      'xml',
    );
    expect(r).toEqual({
      ok: true,
      packet: {
        salesmancode: 'user1',
        tables: [
          {
            tablename: 'Customers',
            records: [
              {
                status: 'insert',
                fields: { DMS_ROWID: '1', A: 'éA &lt; "q\'', B: 'x &amp; <y>', C: '  padded ', D: '' },
              },
            ],
          },
        ],
      },
    });
  });

  it('reads their spellings: salesmanCode, inserted and records without a status; nil fields are left out', () => {
    const r = convertPacket(
      bytes(
        wrap(
          '<r status="inserted"><DMS_ROWID>1</DMS_ROWID></r><r><DMS_ROWID>2</DMS_ROWID><X xsi:nil="true"/></r><r status="Delete"><DMS_ROWID>3</DMS_ROWID></r>',
          'salesmanCode="u2"',
        ),
      ),
      'xml',
    );
    expect(r.ok && r.packet).toEqual({
      salesmancode: 'u2',
      tables: [
        {
          tablename: 'Customers',
          records: [
            { status: 'insert', fields: { DMS_ROWID: '1' } },
            { status: 'insert', fields: { DMS_ROWID: '2' } },
            { status: 'delete', fields: { DMS_ROWID: '3' } },
          ],
        },
      ],
    });
    const json = convertPacket(
      bytes(
        '{"salesmanCode":"u","tables":[{"tablename":"T","records":[{"fields":{"DMS_ROWID":"1","N":null,"V":"007"}}]}]}',
      ),
      'json',
    );
    expect(json.ok && json.packet.tables[0]?.records[0]).toEqual({
      status: 'insert',
      fields: { DMS_ROWID: '1', V: '007' },
    });
  });

  it('fails malformed XML with the parser’s reason (their example leaves <DMS_ROWID> unclosed)', () => {
    expect(reasonOf(wrap('<r><DMS_ROWID>1</r>'))).toMatch(/Expected closing tag 'DMS_ROWID'/);
  });

  it('refuses billion laughs, external entities, deep nesting, and __proto__ where it is no field', () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>${wrap('<r><DMS_ROWID>&lol2;</DMS_ROWID></r>')}`;
    expect(reasonOf(laughs)).toMatch(/DOCTYPE is refused/);
    const xxe = `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>${wrap('<r><DMS_ROWID>&e;</DMS_ROWID></r>')}`;
    expect(reasonOf(xxe)).toMatch(/DOCTYPE is refused/);
    expect(reasonOf(`${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`)).toMatch(/nested deeper/);
    expect(
      reasonOf(wrap('<r><__proto__><polluted>1</polluted></__proto__><DMS_ROWID>1</DMS_ROWID></r>')),
    ).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(reasonOf('{"__proto__":{"polluted":1},"tables":[]}', 'json')).toMatch(/__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps fields named like Object.prototype’s properties as ordinary fields, in XML and JSON alike', () => {
    const prototypeOf = () =>
      Object.getOwnPropertyNames(Object.prototype).map((n) => [
        n,
        Object.getOwnPropertyDescriptor(Object.prototype, n),
      ]);
    const prototypeBefore = prototypeOf();
    const names = ['constructor', 'prototype', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
    const xml = wrap(
      `<r><DMS_ROWID>1</DMS_ROWID>${names.map((n) => `<${n}>${n}-value</${n}>`).join('')}<text/></r>`,
    );
    const fromXml = convertPacket(bytes(xml), 'xml');
    if (!fromXml.ok) throw new Error(fromXml.reason);
    const expected = [['DMS_ROWID', '1'], ...names.map((n) => [n, `${n}-value`]), ['text', '']];
    const fields = fromXml.packet.tables[0]?.records[0]?.fields ?? {};
    expect(Object.entries(fields)).toEqual(expected);
    expect(Object.getPrototypeOf(fields)).toBe(Object.prototype);
    // The converted (native) output carries them, and reads back as the same packet from JSON.
    const native = JSON.stringify(fromXml.packet);
    expect(native).toContain('"__proto__":"__proto__-value"');
    expect(native).toContain('"constructor":"constructor-value"');
    const fromJson = convertPacket(bytes(native), 'json');
    if (!fromJson.ok) throw new Error(fromJson.reason);
    expect(Object.entries(fromJson.packet.tables[0]?.records[0]?.fields ?? {})).toEqual(expected);
    expect(JSON.stringify(fromJson.packet)).toBe(native);
    // A self-closing element and a done body behave the same.
    const empty = convertPacket(bytes(wrap('<r><DMS_ROWID>2</DMS_ROWID><prototype/></r>')), 'xml');
    expect(empty.ok && Object.entries(empty.packet.tables[0]?.records[0]?.fields ?? {})).toEqual([
      ['DMS_ROWID', '2'],
      ['prototype', ''],
    ]);
    expect(doneItemsFromXml('<messages><message><constructor>1</constructor></message></messages>')).toEqual({
      ok: false,
      reason: '<message> 1 may hold only <id> and <receiptHandle>.',
    });
    // Packets trying to reach a prototype fail as ill-formed, and pollute nothing.
    expect(
      reasonOf(
        wrap(
          '<r><DMS_ROWID>1</DMS_ROWID><constructor><prototype><polluted>1</polluted></prototype></constructor></r>',
        ),
      ),
    ).toMatch(/field constructor holds elements/);
    expect(
      reasonOf(
        '{"salesmancode":"u","tables":[{"tablename":"T","records":[{"fields":{"DMS_ROWID":"1","__proto__":{"polluted":"1"}}}]}]}',
        'json',
      ),
    ).toMatch(/fields\.__proto__: must be a string/);
    expect(
      reasonOf(
        '{"salesmancode":"u","tables":[{"tablename":"T","records":[{"fields":{"DMS_ROWID":"1","constructor":{"prototype":{"polluted":"1"}}}}]}]}',
        'json',
      ),
    ).toMatch(/fields\.constructor: must be a string/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeOf()).toEqual(prototypeBefore);
  });

  it('fails packets that break the format’s rules, naming the place', () => {
    const cases: [string, RegExp][] = [
      [wrap('<r><DMS_ROWID>1</DMS_ROWID></r>', ''), /no salesmancode/],
      ['<Other/>', /one root element, <NavMobileSync>; it has <Other>/],
      [`${wrap('<r><DMS_ROWID>1</DMS_ROWID></r>')}<x/>`, /one root element/],
      [wrap(''), /has no record/],
      [wrap('<r><No>1</No></r>'), /Record 1 of table Customers has no DMS_ROWID/],
      [wrap('<r><DMS_ROWID>1</DMS_ROWID><A>1</A><A>2</A></r>'), /field A twice/],
      [wrap('<r status="upsert"><DMS_ROWID>1</DMS_ROWID></r>'), /status "upsert"/],
      [wrap('<r><DMS_ROWID>1</DMS_ROWID><A><B>x</B></A></r>'), /holds elements/],
      [wrap('<r><DMS_ROWID>&nbsp;</DMS_ROWID></r>'), /&nbsp; is not defined/],
      [wrap('<r><DMS_ROWID>&#0;</DMS_ROWID></r>'), /does not name a character/],
      [
        '<NavMobileSync salesmancode="u"><table tablename="T"><r><DMS_ROWID>1</DMS_ROWID></r></table><table tablename="T"><r><DMS_ROWID>2</DMS_ROWID></r></table></NavMobileSync>',
        /table T appears twice/,
      ],
      [
        '<NavMobileSync salesmancode="u">text<table tablename="T"/></NavMobileSync>',
        /text outside any field/,
      ],
      ['<NavMobileSync salesmancode="u"><row/></NavMobileSync>', /only <table> elements, not <row>/],
    ];
    for (const [xml, reason] of cases) expect(reasonOf(xml), xml).toMatch(reason);
    expect(
      reasonOf(
        '{"salesmancode":"u","tables":[{"tablename":"T","records":[{"fields":{"DMS_ROWID":1}}]}]}',
        'json',
      ),
    ).toMatch(/fields\.DMS_ROWID: must be a string/);
    expect(reasonOf('{"salesmancode":"u","tables":[],"extra":1}', 'json')).toMatch(
      /unknown property "extra"/,
    );
    expect(reasonOf('{not json', 'json')).toMatch(/not valid JSON/);
  });

  it('reads UTF-16 with a BOM and refuses bytes that are not valid UTF-8', () => {
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(SAMPLE_XML.replace(/^<\?xml[^>]*>/, ''), 'utf16le'),
    ]);
    expect(convertPacket(utf16, 'xml')).toEqual({ ok: true, packet: SAMPLE_NATIVE });
    expect(reasonOf(Buffer.from([0x3c, 0xc3, 0x28]))).toMatch(/not valid UTF-8/);
  });
});

describe('done bodies and listings in XML', () => {
  it('reads <messages><message><id/><receiptHandle/></message></messages>', () => {
    expect(
      doneItemsFromXml(
        '<messages><message><id>a</id><receiptHandle>h1</receiptHandle></message><message><id>b</id><receiptHandle>h2</receiptHandle></message></messages>',
      ),
    ).toEqual({
      ok: true,
      items: [
        { id: 'a', receiptHandle: 'h1' },
        { id: 'b', receiptHandle: 'h2' },
      ],
    });
  });

  it('refuses the done body seed 003 prints (unclosed <message>, <messages> for </messages>)', () => {
    const seed = `<messages>
   <message><id>asdasdasd1</id><receiptHandle>abvabc1</receiptHandle>,
   <message><id>asdasdasd2</id><receiptHandle>abvabc2</receiptHandle>
   <message><id>asdasdasd3</id><receiptHandle>abvabc3</receiptHandle>
  <messages>
 `;
    const r = doneItemsFromXml(seed);
    expect(r.ok).toBe(false);
    expect(r.ok || r.reason).toMatch(/not valid XML/);
  });

  it('refuses items without an id or handle, other elements, and empty lists', () => {
    expect(doneItemsFromXml('<messages><message><id>a</id></message></messages>')).toEqual({
      ok: false,
      reason: '<message> 1 has no <receiptHandle>.',
    });
    expect(doneItemsFromXml('<messages><message><id>a</id><x/></message></messages>').ok).toBe(false);
    expect(doneItemsFromXml('<messages></messages>').ok).toBe(false);
    expect(doneItemsFromXml('<other/>').ok).toBe(false);
  });

  it('escapes listing values', () => {
    expect(packetsToXml([{ id: 'a<&>"\'', size: 3 }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><packets><packet><id>a&lt;&amp;&gt;&quot;&apos;</id><size>3</size></packet></packets>',
    );
  });
});

describe('packet rules', () => {
  const packet: Packet = {
    id: 'pkt_0000000000aaaaaaaaaaaaaaaa',
    appArea: 'A1',
    mobileUser: 'user1',
    direction: 'toDevice',
    packetType: 'xml',
    packetUniqueId: 'u-1',
    size: 10,
    status: 'ready',
    createdAt: '2026-11-23T10:00:00.000Z',
    objectKey: 'packets/A1/pkt_0000000000aaaaaaaaaaaaaaaa',
    nativeKey: 'native-packets/A1/pkt_0000000000aaaaaaaaaaaaaaaa/chk_0000000000bbbbbbbbbbbbbbbb.json',
    expiresAt: 0,
  };

  it('knows its own keys and nothing else', () => {
    expect(packetIdOfKey(packet.objectKey)).toBe(packet.id);
    expect(packetIdOfKey('uploads/msg_1')).toBeUndefined();
    expect(packetIdOfKey('packets/A1/x/pkt_0000000000aaaaaaaaaaaaaaaa')).toBeUndefined();
    expect(packetIdOfPath(packet.nativeKey ?? '')).toBe(packet.id);
    expect(packetIdOfPath(`checked-packets/A1/${packet.id}/chk_0000000000bbbbbbbbbbbbbbbb`)).toBe(packet.id);
    expect(packetIdOfPath(`checked-packets/A1/${packet.id}/chk/../x`)).toBeUndefined();
    expect(packetIdOfPath('push_done/MYAPPAREA/2020010101/user1/xyz-abv-d011.xml')).toBeUndefined();
  });

  it('lets a reader download only its area’s (a device: its user’s) ready or done packets', () => {
    const native = packet.nativeKey ?? '';
    expect(mayDownload(packet, native, { appArea: 'A1' })).toBe(true);
    expect(mayDownload({ ...packet, status: 'done' }, native, { appArea: 'A1', mobileUser: 'user1' })).toBe(
      true,
    );
    expect(mayDownload(packet, native, { appArea: 'A2' })).toBe(false);
    expect(mayDownload(packet, native, { appArea: 'A1', mobileUser: 'user2' })).toBe(false);
    expect(mayDownload({ ...packet, status: 'failed' }, native, { appArea: 'A1' })).toBe(false);
    expect(mayDownload(packet, 'packets/A1/../A2/x', { appArea: 'A1' })).toBe(false);
    expect(mayDownload(undefined, native, { appArea: 'A1' })).toBe(false);
  });

  it('serves only what the hub wrote after its check, never the upload key', () => {
    const checkedKey = `checked-packets/A1/${packet.id}/chk_0000000000bbbbbbbbbbbbbbbb`;
    const fromDevice: Packet = { ...packet, direction: 'toErp', nativeKey: undefined, checkedKey };
    expect(mayDownload(fromDevice, checkedKey, { appArea: 'A1' })).toBe(true);
    expect(mayDownload(fromDevice, fromDevice.objectKey, { appArea: 'A1' })).toBe(false);
    expect(mayDownload(packet, packet.objectKey, { appArea: 'A1' })).toBe(false);
    // A packet that names nothing served (settled before checked copies existed) serves nothing.
    expect(
      mayDownload({ ...fromDevice, checkedKey: undefined }, fromDevice.objectKey, { appArea: 'A1' }),
    ).toBe(false);
  });

  it('puts a ready packet in its reader’s mailbox', () => {
    expect(mailboxOf(packet)).toBe(deviceMailbox('A1', 'user1'));
    expect(mailboxOf({ ...packet, direction: 'toErp' })).toBe(erpMailbox('A1', 'packet'));
    expect(mailboxOf({ ...packet, direction: 'toErp', packetType: 'file' })).toBe(erpMailbox('A1', 'file'));
  });

  it('treats a repeated announcement as the same packet only when it says the same', () => {
    expect(sameAnnouncement(packet, { mobileUser: 'user1', packetType: 'xml', size: 10 })).toBe(true);
    expect(sameAnnouncement(packet, { mobileUser: 'user1', packetType: 'xml', size: 11 })).toBe(false);
    expect(sameAnnouncement(packet, { mobileUser: 'user2', packetType: 'xml', size: 10 })).toBe(false);
  });
});
