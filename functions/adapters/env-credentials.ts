/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (the alias is in
 * lib/bundling.ts). Lambda hands a function its role's credentials in the environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), so the rest of the default chain
 * (SSO, ini files, process, web identity, container and instance metadata, and the STS/SSO clients
 * they pull in) is never used and only costs bundle size and cold-start time.
 *
 * The exports mirror the module it replaces; test/infra/credentials-alias.test.ts fails if an SDK
 * upgrade imports a name this module does not export or stops resolving credentials through it.
 */
import { type FromEnvInit, fromEnv } from '@aws-sdk/credential-provider-env';

type AwsCredentialIdentityProvider = ReturnType<typeof fromEnv>;
type AwsCredentialIdentity = Awaited<ReturnType<AwsCredentialIdentityProvider>>;

/** Accepts the default chain's init (profile, SSO fields…) and uses only its logger. */
export const defaultProvider = (init: FromEnvInit = {}): AwsCredentialIdentityProvider =>
  fromEnv({ logger: init.logger });

export const credentialsWillNeedRefresh = (credentials: AwsCredentialIdentity): boolean =>
  credentials.expiration !== undefined;

/** The SDK's rule: credentials that expire within five minutes are treated as expired. */
export const credentialsTreatedAsExpired = (credentials: AwsCredentialIdentity, now = Date.now()): boolean =>
  credentials.expiration !== undefined && credentials.expiration.getTime() - now < 300_000;
