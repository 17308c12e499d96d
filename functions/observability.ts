import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/** The one logger every handler, worker and use case writes through (JSON on Lambda). */
export const logger = new Logger({ serviceName: 'crossdock' });

/**
 * The one Metrics instance (CloudWatch EMF, namespace `Crossdock`, dimension `stage` from the
 * function's STAGE variable when the stack sets it). A handler that adds a metric publishes it with
 * `metrics.publishStoredMetrics()` (or Powertools' logMetrics middleware) at the end of its invocation.
 */
export const metrics = new Metrics({
  namespace: 'Crossdock',
  serviceName: 'crossdock',
  ...(process.env.STAGE ? { defaultDimensions: { stage: process.env.STAGE } } : {}),
});
