/**
 * The S3 part of the SDK, in a module of its own so that a bundle loads it only on first use
 * (`s3()` in aws.ts imports it dynamically; esbuild splits it into a chunk). Most invocations never
 * touch S3: documents up to 4 KB live in DynamoDB, and many routes read no object at all. Import
 * from here only through `s3()`: a static import would put S3 back into every cold start.
 */
export {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
export { getSignedUrl } from '@aws-sdk/s3-request-presigner';
