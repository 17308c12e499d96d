import type { EventQuery, OperationalEvents } from '../adapters/events.js';
import type { Clock } from '../core/clock.js';
import type { EventSink, OperationalEvent } from '../core/events.js';
import { logger } from '../observability.js';

/**
 * Tells the operator about an event. Never throws: the work that caused the event (a delivery marked
 * failed, a packet refused, a dead letter marked) is already written, and failing or retrying it
 * because the event could not be stored or published would make a second attempt, or a second
 * record, out of a notice. The hub's sink already logs and goes on (adapters/events.ts); this guard
 * holds for any sink a use case is handed.
 */
export async function tell(events: EventSink, event: OperationalEvent): Promise<void> {
  try {
    await events.emit(event);
  } catch (e) {
    logger.error('operational event not kept or published', { event, error: e as Error });
  }
}

/** GET /admin/events: newest first, by type and since, paged by cursor. */
export function listEvents(ports: { events: Pick<OperationalEvents, 'list'>; clock: Clock }, q: EventQuery) {
  return ports.events.list(q, ports.clock.now());
}
