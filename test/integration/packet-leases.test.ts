import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PacketReadyNotice } from '../../functions/adapters/notifications.js';
import { PacketUrls } from '../../functions/adapters/packet-urls.js';
import { PacketRepository } from '../../functions/adapters/packets.js';
import { PayloadStore } from '../../functions/adapters/payloads.js';
import type { OperationalEvent } from '../../functions/core/events.js';
import {
  deviceMailbox,
  erpMailbox,
  erpMailboxes,
  PACKET_RETENTION_SECONDS,
} from '../../functions/core/packet.js';
import {
  type Announcement,
  announcePacket,
  completePackets,
  packetOfArea,
  pullPackets,
} from '../../functions/usecases/packets.js';
import {
  acceptLandedPacket,
  failDeadLetteredPacket,
  type LandedPacketPorts,
} from '../../functions/usecases/packets-landed.js';
import { type EmbeddedAws, startEmbeddedAws } from '../../lib/local/emulators.js';
import { messagesTable, payloadBucket } from '../../lib/resources.js';

/**
 * Packets at the use-case level on embedded DynamoDB and S3, with an injected clock: leases end and
 * packets come back without sleeping; the worker's idempotency and at-least-once notification.
 */
describe('packet leases with an injected clock', () => {
  let aws: EmbeddedAws;
  let now = Date.parse('2026-11-23T10:00:00Z');
  const clock = { now: () => now };
  const notices: PacketReadyNotice[] = [];
  let failNextNotice = false;
  const told: OperationalEvent[] = [];
  let failNextEvent = false;
  let ports: LandedPacketPorts & { urls: PacketUrls };

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    Object.assign(process.env, aws.env);
    ports = {
      packets: new PacketRepository(aws.env[messagesTable.envVar] as string),
      urls: new PacketUrls(aws.env[payloadBucket.envVar] as string),
      payloads: new PayloadStore(aws.env[payloadBucket.envVar] as string),
      notices: {
        packetReady: async (n) => {
          if (failNextNotice) {
            failNextNotice = false;
            throw new Error('SNS is down');
          }
          notices.push(n);
        },
      },
      events: {
        emit: async (e) => {
          if (failNextEvent) {
            failNextEvent = false;
            throw new Error('the events topic is down');
          }
          told.push(e);
        },
      },
      clock,
    };
  });
  afterAll(() => aws?.stop());

  /** Announces a packet, puts its bytes where the presigned URL would, and runs the worker on it. */
  async function land(a: Omit<Announcement, 'size'>, body: string, size = Buffer.byteLength(body)) {
    const announced = await announcePacket(ports, { ...a, size: Buffer.byteLength(body) });
    const packet = await ports.packets.get(announced.syncLogId);
    if (!packet) throw new Error('the packet was not recorded');
    await ports.payloads.put(packet.objectKey, Buffer.from(body), 'application/octet-stream');
    return {
      id: announced.syncLogId,
      key: packet.objectKey,
      outcome: await acceptLandedPacket(ports, packet.objectKey, size),
    };
  }
  const xmlFor = (user: string, rowId = '1') =>
    `<NavMobileSync salesmancode="${user}"><table tablename="Items"><r><DMS_ROWID>${rowId}</DMS_ROWID></r></table></NavMobileSync>`;

  it('hides a leased packet until its lease ends, then offers it with a new handle; only that handle completes it, once', async () => {
    const { id, outcome } = await land(
      {
        appArea: 'A1',
        mobileUser: 'user1',
        direction: 'toErp',
        packetUniqueId: 'lease-1',
        packetType: 'xml',
      },
      xmlFor('user1'),
    );
    expect(outcome).toBe('ready');
    const mailbox = erpMailbox('A1', 'packet');
    const first = await pullPackets(ports, mailbox, 10, 60);
    expect(first.map((p) => p.id)).toEqual([id]);
    now += 59_999;
    expect(await pullPackets(ports, mailbox, 10, 60)).toEqual([]);
    now += 1;
    const second = await pullPackets(ports, mailbox, 10, 60);
    expect(second.map((p) => p.id)).toEqual([id]);
    expect(second[0]?.receiptHandle).not.toBe(first[0]?.receiptHandle);

    const stale = await completePackets(ports, erpMailboxes('A1'), [
      { id, receiptHandle: first[0]?.receiptHandle ?? '' },
    ]);
    expect(stale.map((f) => f.id)).toEqual([id]);
    // Another area's reader cannot complete it, even with the right handle.
    const foreign = await completePackets(ports, erpMailboxes('A2'), [
      { id, receiptHandle: second[0]?.receiptHandle ?? '' },
    ]);
    expect(foreign).toHaveLength(1);
    expect(
      await completePackets(ports, erpMailboxes('A1'), [
        { id, receiptHandle: second[0]?.receiptHandle ?? '' },
      ]),
    ).toEqual([]);
    expect(
      await completePackets(ports, erpMailboxes('A1'), [
        { id, receiptHandle: second[0]?.receiptHandle ?? '' },
      ]),
    ).toHaveLength(1);
    now += 3_600_000;
    expect(await pullPackets(ports, mailbox, 10, 60)).toEqual([]);
    expect((await packetOfArea(ports, 'A1', id)).status).toBe('done');
  });

  it('refuses a handle once its lease has ended, even if nobody leased the packet again', async () => {
    const { id } = await land(
      {
        appArea: 'A3',
        mobileUser: 'user1',
        direction: 'toErp',
        packetUniqueId: 'lease-2',
        packetType: 'xml',
      },
      xmlFor('user1'),
    );
    const [leased] = await pullPackets(ports, erpMailbox('A3', 'packet'), 10, 30);
    now += 30_000;
    const failed = await completePackets(ports, erpMailboxes('A3'), [
      { id, receiptHandle: leased?.receiptHandle ?? '' },
    ]);
    expect(failed).toHaveLength(1);
  });

  it('settles a landed packet once: a repeated notification changes nothing and notifies nobody again', async () => {
    notices.length = 0;
    const { id, key, outcome } = await land(
      {
        appArea: 'A1',
        mobileUser: 'user9',
        direction: 'toDevice',
        packetUniqueId: 'once-1',
        packetType: 'xml',
      },
      xmlFor('user9'),
    );
    expect(outcome).toBe('ready');
    expect(notices).toEqual([
      expect.objectContaining({ type: 'packet.ready', appArea: 'A1', mobileUser: 'user9', syncLogId: id }),
    ]);
    expect(await acceptLandedPacket(ports, key, 999)).toBe('ignored');
    expect(notices).toHaveLength(1);
    const listed = await pullPackets(ports, deviceMailbox('A1', 'user9'), 10, 60);
    expect(listed.map((p) => p.url)).toEqual([
      expect.stringMatching(new RegExp(`^native-packets/A1/${id}/chk_[0-9a-z]{26}\\.json$`)),
    ]);
    const native = JSON.parse(Buffer.from(await ports.payloads.get(listed[0]?.url ?? '')).toString('utf8'));
    expect(native).toEqual({
      salesmancode: 'user9',
      tables: [{ tablename: 'Items', records: [{ status: 'insert', fields: { DMS_ROWID: '1' } }] }],
    });
  });

  it('publishes the notification again when it failed after the packet became ready (at least once)', async () => {
    notices.length = 0;
    failNextNotice = true;
    const announced = await announcePacket(ports, {
      appArea: 'A1',
      mobileUser: 'user8',
      direction: 'toDevice',
      packetUniqueId: 'retry-1',
      packetType: 'xml',
      size: Buffer.byteLength(xmlFor('user8')),
    });
    const packet = await ports.packets.get(announced.syncLogId);
    await ports.payloads.put(packet?.objectKey ?? '', Buffer.from(xmlFor('user8')), 'application/xml');
    await expect(acceptLandedPacket(ports, packet?.objectKey ?? '', packet?.size ?? 0)).rejects.toThrow(
      /SNS is down/,
    );
    expect((await ports.packets.get(announced.syncLogId))?.status).toBe('ready');
    // The queue delivers the notification again: the packet is ready already, and the notice goes out.
    await acceptLandedPacket(ports, packet?.objectKey ?? '', packet?.size ?? 0);
    expect(notices.map((n) => n.syncLogId)).toEqual([announced.syncLogId]);
    await acceptLandedPacket(ports, packet?.objectKey ?? '', packet?.size ?? 0);
    expect(notices).toHaveLength(1);
  });

  it('fails an upload whose size differs from the announcement, and a packet for another user', async () => {
    const body = xmlFor('user1');
    const wrongSize = await land(
      {
        appArea: 'A1',
        mobileUser: 'user1',
        direction: 'toDevice',
        packetUniqueId: 'size-1',
        packetType: 'xml',
      },
      body,
      Buffer.byteLength(body) + 1,
    );
    expect(wrongSize.outcome).toBe('failed');
    expect((await packetOfArea(ports, 'A1', wrongSize.id)).error).toMatch(
      /has \d+ bytes; \d+ were announced/,
    );
    const otherUser = await land(
      {
        appArea: 'A1',
        mobileUser: 'user1',
        direction: 'toDevice',
        packetUniqueId: 'user-1',
        packetType: 'xml',
      },
      xmlFor('user2'),
    );
    expect(otherUser.outcome).toBe('failed');
    expect((await packetOfArea(ports, 'A1', otherUser.id)).error).toMatch(
      /salesmancode is user2, but it was pushed for the mobile user user1/,
    );
    // Each failure is told once, naming the area; a sink that throws fails nothing.
    const failedIn = (area: string) => told.filter((e) => e.type === 'packet.failed' && e.partner === area);
    expect(failedIn('A1').map((e) => e.detail)).toEqual([
      expect.stringMatching(new RegExp(`^Packet ${wrongSize.id} .*were announced`)),
      expect.stringMatching(new RegExp(`^Packet ${otherUser.id} .*salesmancode is user2`)),
    ]);
    failNextEvent = true;
    const unheard = await land(
      {
        appArea: 'A1',
        mobileUser: 'user1',
        direction: 'toDevice',
        packetUniqueId: 'user-2',
        packetType: 'xml',
      },
      xmlFor('user2'),
    );
    expect(unheard.outcome).toBe('failed');
    expect(failedIn('A1')).toHaveLength(2);
  });

  it('answers the same syncLogId for a repeated announcement, 409 after the upload or for another packet', async () => {
    const a: Announcement = {
      appArea: 'A4',
      mobileUser: 'user1',
      direction: 'toDevice',
      packetUniqueId: 'same-1',
      packetType: 'xml',
      size: Buffer.byteLength(xmlFor('user1')),
    };
    const first = await announcePacket(ports, a);
    now += 20 * 60_000; // past the first URL's expiry: a retry gets a fresh URL for the same packet
    const again = await announcePacket(ports, a);
    expect(again.syncLogId).toBe(first.syncLogId);
    expect(Date.parse(again.expiresAt)).toBeGreaterThan(Date.parse(first.expiresAt));
    await expect(announcePacket(ports, { ...a, size: a.size + 1 })).rejects.toMatchObject({
      status: 409,
      code: 'packet_unique_id_in_use',
    });
    // The same id from a device is another scope: a device's ids are its own.
    const device = await announcePacket(ports, { ...a, direction: 'toErp' });
    expect(device.syncLogId).not.toBe(first.syncLogId);
    const packet = await ports.packets.get(first.syncLogId);
    await ports.payloads.put(packet?.objectKey ?? '', Buffer.from(xmlFor('user1')), 'application/xml');
    await acceptLandedPacket(ports, packet?.objectKey ?? '', a.size);
    await expect(announcePacket(ports, a)).rejects.toMatchObject({ status: 409, code: 'already_uploaded' });
  });

  it('marks an awaiting packet failed when its notification reaches the dead-letter queue, and nothing else', async () => {
    const a: Announcement = {
      appArea: 'A6',
      mobileUser: 'user1',
      direction: 'toDevice',
      packetUniqueId: 'dlq-1',
      packetType: 'xml',
      size: 10,
    };
    const announced = await announcePacket(ports, a);
    const key = `packets/A6/${announced.syncLogId}`;
    expect(await failDeadLetteredPacket(ports, key)).toBe(true);
    expect(told.filter((e) => e.partner === 'A6')).toEqual([
      expect.objectContaining({ type: 'packet.failed', detail: expect.stringMatching(/gave up/) }),
    ]);
    expect(await packetOfArea(ports, 'A6', announced.syncLogId)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/gave up after repeated errors/),
    });
    const { id, key: readyKey } = await land({ ...a, packetUniqueId: 'dlq-2' }, xmlFor('user1'));
    expect(await failDeadLetteredPacket(ports, readyKey)).toBe(false);
    expect((await packetOfArea(ports, 'A6', id)).status).toBe('ready');
    expect(await failDeadLetteredPacket(ports, 'uploads/msg_x')).toBe(false);
  });

  it('forgets packets after the retention period, even before DynamoDB deletes them', async () => {
    const { id } = await land(
      { appArea: 'A5', mobileUser: 'user1', direction: 'toErp', packetUniqueId: 'old-1', packetType: 'xml' },
      xmlFor('user1'),
    );
    now += PACKET_RETENTION_SECONDS * 1000;
    expect(await pullPackets(ports, erpMailbox('A5', 'packet'), 10, 60)).toEqual([]);
    await expect(packetOfArea(ports, 'A5', id)).rejects.toMatchObject({ status: 404 });
    // Its packetUniqueId is free again.
    const again = await announcePacket(ports, {
      appArea: 'A5',
      mobileUser: 'user1',
      direction: 'toErp',
      packetUniqueId: 'old-1',
      packetType: 'xml',
      size: 5,
    });
    expect(again.syncLogId).not.toBe(id);
  });
  it('names the write it checked: its repeat changes nothing, another write is noted, two racing checks serve the winner’s', async () => {
    const a: Announcement = {
      appArea: 'A7',
      mobileUser: 'user1',
      direction: 'toErp',
      packetUniqueId: 'write-1',
      packetType: 'xml',
      size: Buffer.byteLength(xmlFor('user1', 'r1')),
    };
    const announced = await announcePacket(ports, a);
    const key = `packets/A7/${announced.syncLogId}`;
    const first = Buffer.from(xmlFor('user1', 'r1'));
    await ports.payloads.put(key, first, 'application/xml');
    // Two notifications of one write handled at once: one check settles the packet, the other loses.
    const outcomes = await Promise.all([
      acceptLandedPacket(ports, key, a.size),
      acceptLandedPacket(ports, key, a.size),
    ]);
    expect(outcomes.sort()).toEqual(['ignored', 'ready']);
    const ready = await packetOfArea(ports, 'A7', announced.syncLogId);
    expect(ready.note).toBeUndefined();
    const [listed] = await pullPackets(ports, erpMailbox('A7', 'packet'), 10, 60);
    expect(listed?.url).toBe(ready.checkedKey);
    expect(Buffer.from(await ports.payloads.get(listed?.url ?? ''))).toEqual(first);

    // The checked write's own notification again: nothing to note.
    expect(await acceptLandedPacket(ports, key, a.size, ready.checkedWrite)).toBe('ignored');
    expect((await packetOfArea(ports, 'A7', announced.syncLogId)).note).toBeUndefined();
    // Another write of the same size (its presigned PUT still valid): noted, nothing served changes.
    await ports.payloads.put(key, Buffer.from(xmlFor('user1', 'r2')), 'application/xml');
    const { write } = await ports.payloads.read(key);
    expect(await acceptLandedPacket(ports, key, a.size, write)).toBe('overwritten');
    const noted = await packetOfArea(ports, 'A7', announced.syncLogId);
    expect(noted).toMatchObject({
      status: 'ready',
      checkedKey: ready.checkedKey,
      note: expect.stringMatching(/^The upload key was written again after the packet was checked/),
    });
    expect(Buffer.from(await ports.payloads.get(ready.checkedKey ?? ''))).toEqual(first);
  });
});
