import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { SETTINGS } from '../../lib/resources.js';
import { flag, loadConfig } from '../config.js';

/**
 * One client per service per process, created on first use and reused by every invocation.
 * Endpoints come from the SDK's standard AWS_ENDPOINT_URL_* variables, which only the local hub sets.
 */
let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let s3Presigner: S3Client | undefined;
let sqs: SQSClient | undefined;
let endpoints: { forcePathStyle: boolean; presignEndpoint?: string; sqsEndpoint?: string } | undefined;

/** Where the local hub's emulators are (none of these is set on AWS). */
function local() {
  if (endpoints) return endpoints;
  const read = loadConfig({
    [SETTINGS.forcePathStyle]: flag(),
    [SETTINGS.presignEndpoint]: z.optional(z.string()),
    AWS_ENDPOINT_URL_SQS: z.optional(z.string()),
  });
  const presignEndpoint = read[SETTINGS.presignEndpoint] as string | undefined;
  const sqsEndpoint = read.AWS_ENDPOINT_URL_SQS as string | undefined;
  endpoints = {
    forcePathStyle: read[SETTINGS.forcePathStyle] as boolean,
    ...(presignEndpoint ? { presignEndpoint } : {}),
    ...(sqsEndpoint ? { sqsEndpoint } : {}),
  };
  return endpoints;
}

export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: local().forcePathStyle });
  return s3;
}

/**
 * The client that signs presigned URLs. Locally it signs for the hub's own S3 gateway, which checks
 * signatures and expiry the way S3 does. WHEN_REQUIRED keeps the SDK from signing a checksum that
 * a browser or curl upload would not send.
 */
export function s3PresignClient(): S3Client {
  s3Presigner ??= new S3Client({
    forcePathStyle: local().forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    ...(local().presignEndpoint ? { endpoint: local().presignEndpoint } : {}),
  });
  return s3Presigner;
}

export function sqsClient(): SQSClient {
  // With AWS_ENDPOINT_URL_SQS alone the SDK would follow the QueueUrl's host; pin the endpoint.
  const endpoint = local().sqsEndpoint;
  sqs ??= new SQSClient(endpoint ? { endpoint } : {});
  return sqs;
}
