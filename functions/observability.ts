import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SETTINGS } from '../lib/resources.js';
import { environment } from './config.js';
import { HUB_METRICS, type HubMetric, METRICS_NAMESPACE, STAGE_DIMENSION } from './core/metrics.js';

/** The one logger every handler, worker and use case writes through (JSON on Lambda). */
export const logger = new Logger({ serviceName: 'crossdock' });

let built: Metrics | undefined;

/**
 * The one Metrics instance (CloudWatch EMF, namespace `Crossdock`, the single dimension `stage` from
 * the function's STAGE variable). Built at the first metric, so the environment a function (or the
 * local hub) set before its first invocation decides: POWERTOOLS_METRICS_DISABLED=true keeps the EMF
 * lines off stdout (the local hub's default).
 */
function hubMetrics(): Metrics {
  if (built) return built;
  built = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'crossdock' });
  // Powertools adds a `service` dimension by default; the contract's metrics carry the stage alone.
  built.clearDefaultDimensions();
  const stage = environment()[SETTINGS.stage];
  if (stage) built.setDefaultDimensions({ [STAGE_DIMENSION]: stage });
  return built;
}

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds } as const;

/**
 * Adds one value of a hub metric (core/metrics.ts) to this invocation's metrics; the wrapper that
 * runs the handler (withMetrics) publishes them once, as one EMF line, when the invocation ends.
 */
export function recordMetric(name: HubMetric, value = 1): void {
  hubMetrics().addMetric(name, UNITS[HUB_METRICS[name]], value);
}

/** Publishes what this invocation recorded; nothing (not even Powertools' warning) when it recorded none. */
export function flushMetrics(): void {
  if (built?.hasStoredMetrics()) built.publishStoredMetrics();
}

/** Runs a handler and publishes its metrics when it ends, whether it answered or threw. */
export function withMetrics<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } finally {
      flushMetrics();
    }
  };
}
