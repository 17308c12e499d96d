import { systemClock } from '../core/clock.js';
import { eventSink, packetNotices, packets, payloads } from '../deps.js';
import { acceptLandedPacket, failDeadLetteredPacket } from '../usecases/packets-landed.js';
import { s3ObjectWorker } from './s3-object-worker.js';

/**
 * Consumes S3 ObjectCreated notifications for packets/: each packet is checked, converted and made
 * ready (or failed with its reason). Records go one after another, so the worker's memory holds one
 * parsed packet at a time; a bad packet is an outcome, not an error, and never stops the batch.
 */
export const handler = s3ObjectWorker(
  'packet landed',
  (object) =>
    acceptLandedPacket(
      {
        packets: packets(),
        payloads: payloads(),
        notices: packetNotices(),
        events: eventSink(),
        clock: systemClock,
      },
      object.key,
      object.size,
      object.write,
    ),
  { sequential: true },
);

/** Notifications that kept failing: the packet is marked failed, so the status route shows why. */
export const deadLetterHandler = s3ObjectWorker('packet dead-lettered', (object) =>
  failDeadLetteredPacket({ packets: packets(), events: eventSink(), clock: systemClock }, object.key),
);
