import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EmbeddedAws,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startEmbeddedAws,
} from '../../lib/local/emulators.js';
import { type ObjectCreated, startS3Gateway } from '../../lib/local/s3-gateway.js';
import { payloadBucket } from '../../lib/resources.js';

/** The local stand-in for S3's presigned-URL checks, which the emulator itself does not make. */
describe('local S3 gateway: presigned URLs checked as S3 does, ObjectCreated raised', () => {
  let aws: EmbeddedAws;
  let gateway: Awaited<ReturnType<typeof startS3Gateway>>;
  let presigner: S3Client;
  let direct: S3Client;
  let clockOffsetMs = 0;
  const created: ObjectCreated[] = [];
  const bucket = payloadBucket.id.toLowerCase();

  beforeAll(async () => {
    aws = await startEmbeddedAws();
    gateway = await startS3Gateway({
      upstream: aws.fauxqsEndpoint,
      onObjectCreated: async (e) => {
        created.push(e);
      },
      clock: () => Date.now() + clockOffsetMs,
    });
    const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true };
    presigner = new S3Client({
      ...common,
      endpoint: gateway.url,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    direct = new S3Client({ ...common, endpoint: aws.fauxqsEndpoint });
  });
  afterAll(async () => {
    await gateway?.stop();
    await aws?.stop();
  });

  const presignPut = (key: string, size: number, expiresIn = 900) =>
    getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: key, ContentLength: size }), {
      expiresIn,
      signableHeaders: new Set(['content-length']),
    });
  const exists = async (key: string) =>
    direct.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );

  it('accepts an upload of exactly the signed size, stores it and raises ObjectCreated', async () => {
    const body = Buffer.from('exactly twenty bytes');
    const url = await presignPut('uploads/a.txt', body.length);
    const r = await fetch(url, { method: 'PUT', body });
    expect(r.status).toBe(200);
    const stored = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'uploads/a.txt' }));
    expect(await stored.Body?.transformToString()).toBe('exactly twenty bytes');
    expect(created).toContainEqual(expect.objectContaining({ bucket, key: 'uploads/a.txt', size: 20 }));
  });

  it('stores a form-urlencoded body (curl’s default Content-Type) byte for byte, keeping its type', async () => {
    const body = Buffer.from('a=1&b=%20two&c');
    const plain = await presignPut('packets/form.bin', body.length);
    const r = await fetch(plain, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    const stored = await direct.send(new GetObjectCommand({ Bucket: bucket, Key: 'packets/form.bin' }));
    expect(Buffer.from((await stored.Body?.transformToByteArray()) ?? [])).toEqual(body);
    expect(stored.ContentType).toBe('application/x-www-form-urlencoded');
    expect(created).toContainEqual(expect.objectContaining({ key: 'packets/form.bin', size: body.length }));

    // With the type signed (as message uploads sign it), and a charset parameter.
    const type = 'application/x-www-form-urlencoded; charset=utf-8';
    const signed = await getSignedUrl(
      presigner,
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'uploads/form',
        ContentLength: body.length,
        ContentType: type,
      }),
      { expiresIn: 900, signableHeaders: new Set(['content-length', 'content-type']) },
    );
    const typed = await fetch(signed, { method: 'PUT', body, headers: { 'content-type': type } });
    expect(typed.status).toBe(200);
    const head = await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: 'uploads/form' }));
    expect(head.ContentType).toBe(type);
    expect(head.ContentLength).toBe(body.length);
  });

  it('refuses an upload of another size with SignatureDoesNotMatch, storing nothing', async () => {
    const url = await presignPut('uploads/b.txt', 10);
    const r = await fetch(url, { method: 'PUT', body: Buffer.alloc(11) });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await exists('uploads/b.txt')).toBe(false);
    expect(created.find((e) => e.key === 'uploads/b.txt')).toBeUndefined();
  });

  it('refuses an expired URL', async () => {
    const url = await presignPut('uploads/c.txt', 3, 60);
    clockOffsetMs = 61_000;
    try {
      const r = await fetch(url, { method: 'PUT', body: 'abc' });
      expect(r.status).toBe(403);
      expect(await r.text()).toContain('Request has expired');
    } finally {
      clockOffsetMs = 0;
    }
    expect(await exists('uploads/c.txt')).toBe(false);
  });

  it('refuses a URL whose key, method or signature was changed', async () => {
    const url = await presignPut('uploads/d.txt', 3);
    const otherKey = url.replace('uploads/d.txt', 'uploads/evil.txt');
    expect((await fetch(otherKey, { method: 'PUT', body: 'abc' })).status).toBe(403);
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    expect((await fetch(tampered, { method: 'PUT', body: 'abc' })).status).toBe(403);
    expect((await fetch(url, { method: 'GET' })).status).toBe(403);
    const unsigned = `${gateway.url}/${bucket}/uploads/d.txt`;
    expect((await fetch(unsigned, { method: 'PUT', body: 'abc' })).status).toBe(403);
    expect(await exists('uploads/evil.txt')).toBe(false);
  });

  it('serves a presigned GET', async () => {
    await direct.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'payloads/x.json',
        Body: '{"x":1}',
        ContentType: 'application/json',
      }),
    );
    const url = await getSignedUrl(
      presigner,
      new GetObjectCommand({ Bucket: bucket, Key: 'payloads/x.json' }),
      { expiresIn: 900 },
    );
    const r = await fetch(url);
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('{"x":1}');
  });
});
