import type { ScheduledEvent } from 'aws-lambda';
import { lambdaContext } from './api-gateway.js';

export type ScheduledHandler = (
  event: ScheduledEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<unknown>;

/**
 * Behaves like an EventBridge schedule rule targeting a Lambda function: invokes the handler every
 * `everyMs` with a scheduled event, never two runs at once (a run that takes longer delays the next).
 */
export function startSchedule(o: {
  handler: ScheduledHandler;
  functionName: string;
  everyMs: number;
  timeoutSeconds?: number;
  onError?: (e: unknown) => void;
  onInvoke?: (functionName: string, ms: number, records: number) => void;
}): { stop(): Promise<void> } {
  let running = true;
  let wake: () => void = () => {};
  const loop = (async () => {
    while (running) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (!running) break;
      const time = new Date().toISOString();
      const event = {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '000000000000',
        time,
        region: 'us-east-1',
        resources: [`arn:aws:events:us-east-1:000000000000:rule/${o.functionName}Schedule`],
        detail: {},
      } as ScheduledEvent;
      try {
        const invoked = performance.now();
        await o.handler(event, lambdaContext(o.functionName, o.timeoutSeconds));
        o.onInvoke?.(o.functionName, performance.now() - invoked, 0);
      } catch (e) {
        o.onError?.(e);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
    },
  };
}
