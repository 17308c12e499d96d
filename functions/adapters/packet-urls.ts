import { s3 } from './aws.js';

/** Presigned URLs for sync packet objects: where devices and ERPs upload and download them directly. */
export class PacketUrls {
  constructor(private readonly bucket: string) {}

  /**
   * A PUT of exactly `size` bytes to a key the hub chose. Only Content-Length is signed: the seed names
   * no Content-Type, so an uploader may send any (or none) and S3 still refuses any other size.
   */
  async put(key: string, size: number, expiresInSeconds: number): Promise<string> {
    const { presigner, sdk } = await s3();
    return sdk.getSignedUrl(
      presigner,
      new sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size }),
      { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-length']) },
    );
  }

  async get(key: string, expiresInSeconds: number): Promise<string> {
    const { presigner, sdk } = await s3();
    return sdk.getSignedUrl(presigner, new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
