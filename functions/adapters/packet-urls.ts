import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3PresignClient } from './aws.js';

/** Presigned URLs for sync packet objects: where devices and ERPs upload and download them directly. */
export class PacketUrls {
  constructor(private readonly bucket: string) {}

  /**
   * A PUT of exactly `size` bytes to a key the hub chose. Only Content-Length is signed: the seed names
   * no Content-Type, so an uploader may send any (or none) and S3 still refuses any other size.
   */
  put(key: string, size: number, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      s3PresignClient(),
      new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size }),
      { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-length']) },
    );
  }

  get(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(s3PresignClient(), new GetObjectCommand({ Bucket: this.bucket, Key: key }), {
      expiresIn: expiresInSeconds,
    });
  }
}
