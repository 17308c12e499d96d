import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client, s3PresignClient } from './aws.js';

/** Documents too large to live in a DynamoDB item. */
export class PayloadStore {
  constructor(private readonly bucket: string) {}

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await s3Client().send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<Uint8Array> {
    const r = await s3Client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!r.Body) throw new Error(`payload ${key} has no body`);
    return r.Body.transformToByteArray();
  }

  /** A presigned GET, for documents too large to pass through a Lambda response. */
  presignGet(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(s3PresignClient(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
