import { randomUUID } from 'node:crypto';
import { type HubClient, list, num, str } from './hub-client.js';

/** The ways a unit (one tracked document) goes into the hub, and the mode it leaves by. */
export const FACES = [
  'push',
  'notify',
  'pull',
  'apply',
  'refused',
  'row',
  'threepl',
  'erp',
  'erp-bad',
] as const;
export type Face = (typeof FACES)[number];

/** The share of each face among the units (3PL lines come in posts of 1 to 5 lines). */
export const MIX: Readonly<Record<Face, number>> = {
  push: 0.33,
  notify: 0.1,
  pull: 0.1,
  apply: 0.08,
  refused: 0.02,
  row: 0.15,
  threepl: 0.15,
  erp: 0.065,
  'erp-bad': 0.005,
};

export interface Unit {
  n: number;
  soakId: string;
  face: Face;
  /** A face whose receiver was built never to accept it: its failure is expected. */
  expectFailure: boolean;
  acceptedAt?: number;
  /** The hub's message id (messages: from the 202; rows: from the row's deliveries, once routed). */
  messageId?: string;
  row?: { entity: string; id: string; version: number };
  threepl?: { communicationId: string; apiuuid: string };
  packet?: { syncLogId: string };
  /** Set by the settling phase. */
  hub?: { status: 'delivered' | 'failed' | 'pending'; attempts?: number; error?: string };
  receivedAt?: number;
}

/** What the soak registers once: the keys and names the faces use. */
export interface Setup {
  senderKey: string;
  rowsOwnerKey: string;
  applyReceiverKey: string;
  pullKey: string;
  notifyKey: string;
  erpKey: string;
  deviceKey: string;
  threeplToken: string;
  rowsIntegrationId: string;
}

export const ERP_AREA = 'SOAKERP';
export const ERP_USER = 'user1';
export const ROW_ENTITY = 'Invoice';
export const APPLY_ENTITY = 'Shipment';

const expectOk = (what: string, r: { status: number; json: unknown }, ...ok: number[]) => {
  if (!ok.includes(r.status)) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
  return r;
};

/**
 * Registers partners, keys, 3PL credentials and one integration per face, each with the soak's
 * retry schedule: seconds instead of hours, so a run sees every retry.
 */
export async function setUp(
  hub: HubClient,
  admin: string,
  urls: { push: string; notify: string; refused: string; rows: string; threepl: string },
  delivery: { maxAttempts: number; retrySchedule: number[]; timeoutMs: number },
): Promise<Setup> {
  const a = { admin };
  const call = (m: string, p: string, body?: unknown) =>
    hub.call(m, p, a, body === undefined ? undefined : JSON.stringify(body));
  for (const code of [
    'soak-src',
    'rcv-push',
    'rcv-notify',
    'rcv-pull',
    'rcv-refused',
    'rcv-apply',
    'rows-owner',
    'rcv-rows',
    'tpl',
    'rcv-tpl',
    ERP_AREA,
  ]) {
    expectOk(`partner ${code}`, await call('POST', '/admin/partners', { code, name: code }), 201, 409);
  }
  const key = async (code: string, body: unknown = {}) =>
    str(expectOk(`key ${code}`, await call('POST', `/admin/partners/${code}/keys`, body), 201).json, 'key') ??
    '';
  const retries = {
    maxAttempts: delivery.maxAttempts,
    parallel: true,
    batchSize: 20,
  };
  const outbound = (name: string, receiver: string, entity: string, d: Record<string, unknown>, extra = {}) =>
    call('POST', '/admin/integrations', {
      name,
      direction: 'Outbound',
      entity,
      consentType: 'None',
      receiver,
      ...retries,
      ...extra,
      delivery: { format: 'raw', timeoutMs: delivery.timeoutMs, retrySchedule: delivery.retrySchedule, ...d },
    });
  expectOk('push', await outbound('soak push', 'rcv-push', 'order', { mode: 'push', url: urls.push }), 201);
  expectOk(
    'notify',
    await outbound('soak notify', 'rcv-notify', 'order', { mode: 'notify', url: urls.notify }),
    201,
  );
  expectOk('pull', await outbound('soak pull', 'rcv-pull', 'order', { mode: 'pull' }), 201);
  expectOk(
    'refused',
    await outbound('soak refused', 'rcv-refused', 'order', { mode: 'push', url: urls.refused }),
    201,
  );
  const rows = expectOk(
    'rows',
    await outbound(
      'soak rows',
      'rcv-rows',
      ROW_ENTITY,
      { mode: 'push', url: urls.rows },
      { sender: 'rows-owner', includeUpdate: true },
    ),
    201,
  );
  expectOk(
    'threepl',
    await outbound(
      'soak 3pl lines',
      'rcv-tpl',
      'replication',
      { mode: 'push', url: urls.threepl },
      { sender: 'tpl' },
    ),
    201,
  );
  expectOk(
    'apply',
    await call('POST', '/admin/integrations', {
      name: 'soak apply',
      direction: 'Inbound',
      entity: APPLY_ENTITY,
      consentType: 'None',
      receiver: 'rcv-apply',
      ...retries,
    }),
    201,
  );
  expectOk(
    '3pl credentials',
    await call('PUT', '/admin/partners/tpl/credentials', {
      username: 'soak-tpl',
      password: 'soak-tpl-password',
    }),
    204,
  );
  const token = await hub.call(
    'GET',
    '/v1/generatetoken',
    { basic: ['soak-tpl', 'soak-tpl-password'] },
    undefined,
    {
      'content-type': 'application/json; charset=utf8',
    },
  );
  return {
    senderKey: await key('soak-src'),
    rowsOwnerKey: await key('rows-owner'),
    applyReceiverKey: await key('rcv-apply'),
    pullKey: await key('rcv-pull'),
    notifyKey: await key('rcv-notify'),
    erpKey: await key(ERP_AREA, { scopes: ['erp'] }),
    deviceKey: await key(ERP_AREA, { scopes: ['device'] }),
    threeplToken: str(expectOk('3pl token', token, 200).json, 'AccessToken') ?? '',
    rowsIntegrationId: str(rows.json, 'id') ?? '',
  };
}

const RECEIVER: Partial<Record<Face, string>> = {
  push: 'rcv-push',
  notify: 'rcv-notify',
  pull: 'rcv-pull',
  refused: 'rcv-refused',
  apply: 'rcv-apply',
};

/** POST /v1/messages, with an Idempotency-Key so a post repeated across a crash is one message. */
export async function postMessage(hub: HubClient, s: Setup, u: Unit): Promise<void> {
  const receiver = RECEIVER[u.face] as string;
  const doctype = u.face === 'apply' ? APPLY_ENTITY : 'order';
  const body =
    u.face === 'apply'
      ? { id: `shp-${u.n}`, soakId: u.soakId, lines: u.n % 7 }
      : { soakId: u.soakId, orderNo: `SO-${u.n}`, lines: [{ sku: `A-${u.n % 97}`, qty: (u.n % 5) + 1 }] };
  const post = () =>
    hub.call(
      'POST',
      `/v1/messages?sender=soak-src&receiver=${receiver}&doctype=${doctype}&version=1`,
      { key: s.senderKey },
      JSON.stringify(body),
      { 'idempotency-key': u.soakId },
    );
  let r = await post();
  // A post the crash cut off left its key claimed: the hub says "retry shortly" until it takes the
  // abandoned claim over (a minute after it was made).
  for (
    let i = 0;
    r.status === 409 && str(r.json, 'error', 'code') === 'idempotency_key_in_use' && i < 120;
    i++
  ) {
    hub.retried.keyInUse++;
    await new Promise((x) => setTimeout(x, 1000));
    r = await post();
  }
  expectOk(`message ${u.soakId}`, r, 200, 202);
  u.messageId = str(r.json, 'id');
  u.acceptedAt = Date.now();
}

/** PUT a row: a new one, or a new version of one written before (the integration sends updates). */
export async function putRow(hub: HubClient, s: Setup, u: Unit, rowId: string): Promise<void> {
  const r = await hub.call(
    'PUT',
    `/v1/entities/${ROW_ENTITY}/${rowId}`,
    { key: s.rowsOwnerKey },
    JSON.stringify({ soakId: u.soakId, status: 'APPROVED', total: u.n }),
  );
  expectOk(`row ${u.soakId}`, r, 200, 201);
  u.row = { entity: ROW_ENTITY, id: rowId, version: num(r.json, 'version') ?? 0 };
  u.acceptedAt = Date.now();
}

/** One 3PL replication post; each line is a unit. Repeated as is across a crash (same apiuuids). */
export async function postLines(hub: HubClient, s: Setup, units: Unit[]): Promise<void> {
  const lines = units.map((u) => ({
    apiuuid: randomUUID(),
    apiid: 'OH',
    senderidentification: 'soak-3pl',
    nodes: [{ name: 'order_no', value: u.soakId }],
  }));
  const r = await hub.call(
    'POST',
    '/v1/replicationpost',
    { bearer: s.threeplToken },
    JSON.stringify({ repLines: lines }),
    { 'content-type': 'application/json; charset=utf8' },
  );
  expectOk('3pl post', r, 200);
  const communicationId = str(r.json, 'CommunicationID') ?? '';
  const at = Date.now();
  units.forEach((u, i) => {
    u.threepl = { communicationId, apiuuid: lines[i]?.apiuuid ?? '' };
    u.acceptedAt = at;
  });
}

export const packetXml = (u: Unit) =>
  u.face === 'erp-bad'
    ? Buffer.from(`<NavMobileSync salesmancode="${ERP_USER}"><table tablename="Customers"><r>${u.soakId}`)
    : Buffer.from(
        `<?xml version="1.0" encoding="utf-8"?>\n<NavMobileSync salesmancode="${ERP_USER}">\n  <table tablename="Customers">\n    <r status="insert">\n      <DMS_ROWID>${u.soakId}</DMS_ROWID>\n      <No>${u.n}</No>\n      <Name>Soak &amp; Co</Name>\n    </r>\n  </table>\n</NavMobileSync>\n`,
      );

/**
 * An ERP packet: push (the same packetUniqueId answers the same syncLogId until the upload lands),
 * then PUT to the presigned URL. The upload URL names the hub's S3 gateway, whose port changes when
 * the hub restarts, so a failed upload asks for a fresh URL.
 */
export async function pushPacket(hub: HubClient, s: Setup, u: Unit): Promise<void> {
  const body = packetXml(u);
  for (let i = 0; ; i++) {
    const r = await hub.call(
      'GET',
      `/erp/push/${ERP_AREA}/${ERP_USER}?packetUniqueId=${u.soakId}&size=${body.length}&packetType=xml`,
      { key: s.erpKey },
    );
    if (r.status === 409) break; // already uploaded: the answer to the upload was lost in a crash
    expectOk(`packet ${u.soakId}`, r, 200);
    u.packet = { syncLogId: str(r.json, 'syncLogId') ?? '' };
    try {
      const put = await fetch(str(r.json, 'uploadPath') ?? '', {
        method: 'PUT',
        body,
        signal: AbortSignal.timeout(30_000),
      });
      await put.arrayBuffer();
      if (put.ok) break;
      if (put.status < 500) throw new Error(`upload ${u.soakId}: ${put.status}`);
    } catch (e) {
      if (/upload .*: \d+/.test((e as Error).message)) throw e;
      hub.retried.network++;
    }
    await new Promise((r) => setTimeout(r, Math.min(1000, 100 * 2 ** i)));
  }
  u.acceptedAt = Date.now();
}

/** The ids in a listing of leased items (inbox or device packets). */
export const leased = (json: unknown, key: 'messages' | 'packets') =>
  list(json, key).map((m) => ({
    id: str(m, 'id') ?? '',
    receiptHandle: str(m, 'receiptHandle') ?? '',
    url: str(m, 'url'),
  }));
