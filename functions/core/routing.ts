import type { IntegrationInput } from './integration.js';

export interface RoutableMessage {
  sender: string;
  receiver: string;
  doctype: string;
  version: string;
}

/** Does this integration carry the message (before its filter, which needs the document)? */
export function matchesRoute(i: IntegrationInput, m: RoutableMessage): boolean {
  return (
    i.active &&
    i.direction === 'Outbound' &&
    i.receiver === m.receiver &&
    (i.entity === '*' || i.entity === m.doctype) &&
    (!i.sender || i.sender === m.sender) &&
    (!i.version || i.version === m.version)
  );
}

/**
 * Does this Inbound integration take the message (Contract v2, "Inbound integrations")? As an
 * Outbound one would, with its `entity` as the doctype (no wildcard: rows need one entity).
 */
export function matchesInbound(i: IntegrationInput, m: RoutableMessage): boolean {
  return (
    i.active &&
    i.direction === 'Inbound' &&
    i.receiver === m.receiver &&
    i.entity === m.doctype &&
    (!i.sender || i.sender === m.sender) &&
    (!i.version || i.version === m.version)
  );
}
