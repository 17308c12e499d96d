import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
let s3Kit: Promise<S3Kit> | undefined;
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

/** The S3 SDK module and the hub's two S3 clients, loaded together on first use. */
export interface S3Kit {
  sdk: typeof import('./s3-sdk.js');
  /** For the hub's own reads and writes. */
  client: import('./s3-sdk.js').S3Client;
  /**
   * For presigned URLs. Locally it signs for the hub's own S3 gateway, which checks signatures and
   * expiry the way S3 does. WHEN_REQUIRED keeps the SDK from signing a checksum that a browser or
   * curl upload would not send.
   */
  presigner: import('./s3-sdk.js').S3Client;
}

/**
 * S3, loaded on first use: the S3 client and the presigner are about 100 KB of a bundle that most
 * invocations never need (small documents live in DynamoDB), so they are not part of a cold start.
 */
export function s3(): Promise<S3Kit> {
  s3Kit ??= import('./s3-sdk.js').then((sdk) => ({
    sdk,
    client: new sdk.S3Client({ forcePathStyle: local().forcePathStyle }),
    presigner: new sdk.S3Client({
      forcePathStyle: local().forcePathStyle,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      ...(local().presignEndpoint ? { endpoint: local().presignEndpoint } : {}),
    }),
  }));
  // A failed load (it should not fail) is tried again by the next call, not remembered.
  s3Kit.catch(() => {
    s3Kit = undefined;
  });
  return s3Kit;
}

export function sqsClient(): SQSClient {
  // With AWS_ENDPOINT_URL_SQS alone the SDK would follow the QueueUrl's host; pin the endpoint.
  const endpoint = local().sqsEndpoint;
  sqs ??= new SQSClient(endpoint ? { endpoint } : {});
  return sqs;
}
