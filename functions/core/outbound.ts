/** What one delivery attempt sends to a partner, and what comes of it: the sender's contract. */
export interface OutboundRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
}

/** The partner answered, with any status. */
export interface OutboundAnswer {
  kind: 'answered';
  status: number;
  headers: Record<string, string>;
  /** The body up to the sender's cap. */
  body: string;
  truncated: boolean;
  durationMs: number;
}

/**
 * No answer came, and why, by kind (after Svix's typed webhook client error), so that what is retried
 * is decided by type and never by reading a message:
 * - `timeout`: the attempt's time ran out (connected, or still connecting when the total ran out);
 * - `connect`: no connection could be made (refused, unreachable, no such host, connect timeout);
 * - `blocked`: the host is or resolves to an address the hub never calls (the SSRF guard at connect time);
 * - `invalid-url`: the URL cannot be called at all (unparseable, or not http/https);
 * - `network`: the connection broke (reset, hung up, TLS) before a whole answer came.
 */
export type OutboundFailureReason = 'timeout' | 'connect' | 'blocked' | 'invalid-url' | 'network';

export interface OutboundFailure {
  kind: 'failed';
  reason: OutboundFailureReason;
  /** A sentence for the attempt's record. */
  message: string;
  durationMs: number;
}

export type OutboundResult = OutboundAnswer | OutboundFailure;

/** Sends one attempt; never throws for what the network or the partner does. */
export type OutboundSender = (req: OutboundRequest) => Promise<OutboundResult>;
