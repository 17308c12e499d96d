import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { flag, loadConfig } from '../config.js';

/**
 * One client per service per process, created on first use and reused by every invocation.
 * Endpoints come from the SDK's standard AWS_ENDPOINT_URL_* variables, which only the local hub sets.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let s3Presigner: S3Client | undefined;
let sqs: SQSClient | undefined;
let endpoints:
  | {
      S3_FORCE_PATH_STYLE: boolean;
      S3_PRESIGN_ENDPOINT?: string | undefined;
      AWS_ENDPOINT_URL_SQS?: string | undefined;
    }
  | undefined;

/** Where the local hub's emulators are (none of these is set on AWS). */
function local() {
  endpoints ??= loadConfig({
    S3_FORCE_PATH_STYLE: flag(),
    S3_PRESIGN_ENDPOINT: z.optional(z.string()),
    AWS_ENDPOINT_URL_SQS: z.optional(z.string()),
  });
  return endpoints;
}

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: local().S3_FORCE_PATH_STYLE });
  return s3;
}

/**
 * The client that signs presigned URLs. Locally it signs for the hub's own S3 gateway, which checks
 * signatures and expiry the way S3 does. WHEN_REQUIRED keeps the SDK from signing a checksum that
 * a browser or curl upload would not send.
 */
export function s3PresignClient(): S3Client {
  s3Presigner ??= new S3Client({
    forcePathStyle: local().S3_FORCE_PATH_STYLE,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(local().S3_PRESIGN_ENDPOINT ? { endpoint: local().S3_PRESIGN_ENDPOINT } : {}),
  });
  return s3Presigner;
}

export function sqsClient(): SQSClient {
  // With AWS_ENDPOINT_URL_SQS alone the SDK would follow the QueueUrl's host; pin the endpoint.
  const endpoint = local().AWS_ENDPOINT_URL_SQS;
  sqs ??= new SQSClient(endpoint ? { endpoint } : {});
  return sqs;
}
