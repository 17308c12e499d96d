import { createHubClient, type HubClient, HubError, type paths } from '../../client/index.js';

export { HubError, ok } from '../../client/index.js';

/** The console is served by the hub it speaks to: the API is on the same origin. */
export function clientFor(adminKey: string): HubClient {
  return createHubClient({ baseUrl: window.location.origin, adminKey });
}

/** The JSON body of a route's answer, from the generated types. */
type Answer<P extends keyof paths, M extends keyof paths[P], S extends number> = paths[P][M] extends {
  responses: { [K in S]: { content: { 'application/json': infer T } } };
}
  ? T
  : never;

export type MessagePage = Answer<'/admin/messages', 'get', 200>;
export type LogEntry = MessagePage['messages'][number];
export type MessageFilters = NonNullable<NonNullable<paths['/admin/messages']['get']['parameters']['query']>>;
export type MessageView = Answer<'/admin/messages/{id}', 'get', 200>;
export type Delivery = MessageView['deliveries'][number];
export type Attempt = Delivery['attempts'][number];
export type EventPage = Answer<'/admin/events', 'get', 200>;
export type OperationalEvent = EventPage['events'][number];
export type Integration = Answer<'/admin/integrations', 'get', 200>['integrations'][number];
export type IntegrationDetail = Answer<'/admin/integrations/{id}', 'get', 200>;
export type CreatedIntegration = Answer<'/admin/integrations', 'post', 201>;
export type Rotated = Answer<'/admin/integrations/{id}/rotate-secret', 'post', 200>;
export type Partner = Answer<'/admin/partners', 'get', 200>['partners'][number];
export type PartnerDetail = Answer<'/admin/partners/{code}', 'get', 200>;
export type ApiKey = PartnerDetail['keys'][number];
export type IssuedKey = Answer<'/admin/partners/{code}/keys', 'post', 201>;
export type Enablement = Answer<'/admin/enablements', 'get', 200>['enablements'][number];

/** What went wrong, in a sentence that says what to do. */
export function explain(error: unknown): { message: string; signIn?: boolean } {
  if (error instanceof HubError) {
    if (error.status === 401) {
      return {
        message:
          'The hub refused the admin key (401): the admin key is wrong, or it was changed. Sign in again with the key the hub printed at start-up (on AWS: the AdminKeySecretArn secret).',
        signIn: true,
      };
    }
    if (error.status === 404)
      return { message: `${error.message} Check the address, or go back to the list.` };
    if (error.status >= 500) {
      return {
        message: `The hub failed (${error.status} ${error.code}): ${error.message} Try again; if it persists, the hub's log has the request under its x-request-id.`,
      };
    }
    return { message: `${error.message} (${error.status} ${error.code})` };
  }
  if (error instanceof TypeError) {
    return {
      message:
        'Cannot reach the hub: it may be stopped or your network is down. Start it (npm start) or check the connection, then try again.',
    };
  }
  return { message: `Unexpected error: ${error instanceof Error ? error.message : String(error)}` };
}
