import { adminKey } from '../../adapters/admin-key.js';
import { systemClock } from '../../core/clock.js';
import { systemRandom } from '../../core/random.js';
import { deliveryStats, failedDeliveries, jobs, refusals, registry } from '../../deps.js';
import * as route from '../../routes/admin/operations.js';
import { refusedRequests } from '../../usecases/refusals.js';
import { jobStatus, startReplay } from '../../usecases/replay.js';
import { deliveryStatistics } from '../../usecases/stats.js';
import { answer, byRouteKey, edge } from '../edge.js';

/** The operator's operations on the hub as a whole (routes/admin/operations.ts): one function. */

const ports = () => ({
  adminKey: adminKey(),
  registry: registry(),
  jobs: jobs(),
  failed: failedDeliveries(),
  stats: deliveryStats(),
  refusals: refusals(),
  clock: systemClock,
  random: systemRandom,
});

const retryMessages = edge(route.retryMessages, ports, async ({ body }, p) => {
  const started = await startReplay(p, body);
  return answer({ status: 'jobId' in started ? 202 : 200, json: started });
});

const getJob = edge(route.getJob, ports, ({ params }, p) => jobStatus(p, params.id));

const getStats = edge(route.getStats, ports, ({ query }, p) => deliveryStatistics(p, query));

const listRefusedRequests = edge(route.listRefusedRequests, ports, ({ params, query }, p) =>
  refusedRequests(p, params.code, query.limit),
);

export const operations = byRouteKey([
  [route.retryMessages, retryMessages],
  [route.getJob, getJob],
  [route.getStats, getStats],
  [route.listRefusedRequests, listRefusedRequests],
]);
