import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * One client per service per process, created on first use and reused by every invocation.
 * Endpoints come from the SDK's standard AWS_ENDPOINT_URL_* variables, which only the local hub sets.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let s3Presigner: S3Client | undefined;
let sqs: SQSClient | undefined;

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
  return s3;
}

/**
 * The client that signs presigned URLs. Locally it signs for the hub's own S3 gateway, which checks
 * signatures and expiry the way S3 does. WHEN_REQUIRED keeps the SDK from signing a checksum that
 * a browser or curl upload would not send.
 */
export function s3PresignClient(): S3Client {
  s3Presigner ??= new S3Client({
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(process.env.S3_PRESIGN_ENDPOINT ? { endpoint: process.env.S3_PRESIGN_ENDPOINT } : {}),
  });
  return s3Presigner;
}

export function sqsClient(): SQSClient {
  // With AWS_ENDPOINT_URL_SQS alone the SDK would follow the QueueUrl's host; pin the endpoint.
  sqs ??= new SQSClient(
    process.env.AWS_ENDPOINT_URL_SQS ? { endpoint: process.env.AWS_ENDPOINT_URL_SQS } : {},
  );
  return sqs;
}
