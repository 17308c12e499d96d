import { type ObjectWrite, objectWrite } from '../core/object-write.js';
import { s3 } from './aws.js';

/** Documents too large to live in a DynamoDB item. */
export class PayloadStore {
  constructor(private readonly bucket: string) {}

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    const { client, sdk } = await s3();
    await client.send(
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  /** Removes an object this function wrote (a message that could not be accepted after all). */
  async delete(key: string): Promise<void> {
    const { client, sdk } = await s3();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async get(key: string): Promise<Uint8Array> {
    return (await this.read(key)).body;
  }

  /** The object's bytes and which write of it they are. */
  async read(key: string): Promise<{ body: Uint8Array; write: ObjectWrite }> {
    const { client, sdk } = await s3();
    const r = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
    if (!r.Body) throw new Error(`payload ${key} has no body`);
    return { body: await r.Body.transformToByteArray(), write: objectWrite(r.ETag, r.VersionId) };
  }

  /** The object's size and which write of it this is, without its bytes. */
  async head(key: string): Promise<{ size: number; write: ObjectWrite }> {
    const { client, sdk } = await s3();
    const r = await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return { size: r.ContentLength ?? 0, write: objectWrite(r.ETag, r.VersionId) };
  }

  /**
   * Copies the object as it is now to `to`, inside S3 (large files never pass through the function).
   * Returns which write of `from` was copied: the copy has its bytes and so its ETag.
   */
  async copy(from: string, to: string): Promise<ObjectWrite> {
    const source = `${this.bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
    const { client, sdk } = await s3();
    const r = await client.send(
      new sdk.CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: source }),
    );
    return objectWrite(r.CopyObjectResult?.ETag, r.CopySourceVersionId);
  }

  /** A presigned GET, for documents too large to pass through a Lambda response. */
  async presignGet(key: string, expiresInSeconds: number): Promise<string> {
    const { presigner, sdk } = await s3();
    return sdk.getSignedUrl(presigner, new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
