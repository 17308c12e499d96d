import { systemClock } from '../core/clock.js';
import { deliveryQueue, enablements, messages, payloads, registry, uploadRecords, uploads } from '../deps.js';
import { acceptLandedUpload, UPLOAD_KEY_PREFIX } from '../usecases/uploads.js';
import { s3ObjectWorker } from './s3-object-worker.js';

/** Consumes S3 ObjectCreated notifications for uploads/ and accepts the announced messages. */
export const handler = s3ObjectWorker(
  'upload landed',
  (object) =>
    acceptLandedUpload(
      {
        registry: registry(),
        enablements: enablements(),
        uploads: uploads(),
        messages: messages(),
        payloads: payloads(),
        queue: deliveryQueue(),
        clock: systemClock,
      },
      object.key,
      object.size,
      object.write,
    ),
  // One document in memory at a time.
  { sequential: true },
);

/** Notifications that kept failing: the upload is marked failed, so its sender can see why. */
export const deadLetterHandler = s3ObjectWorker('upload dead-lettered', async (object) => {
  if (!object.key.startsWith(UPLOAD_KEY_PREFIX)) return;
  await uploadRecords().finish(
    object.key.slice(UPLOAD_KEY_PREFIX.length),
    'failed',
    'The upload could not be accepted; the hub gave up after repeated errors.',
  );
});
