import type { Command } from 'commander';
import { ok } from '../../client/index.js';
import { action } from '../context.js';
import { when } from '../output.js';
import { instantOption } from '../parse.js';

/** `crossdock stats`: the hub's traffic since a time, and each busy integration's health. */
export function statsCommand(program: Command): Command {
  return program
    .command('stats')
    .description("deliveries since a time (default: the last 24 hours), and each integration's health")
    .option('--since <when>', 'from (ISO 8601, or a time ago: 2h, 7d)', instantOption)
    .action(
      action<{ since?: string }>(async ({ out, client }, _args, o) => {
        const s = await ok(
          client().GET('/admin/stats', { params: { query: o.since ? { since: o.since } : {} } }),
        );
        if (out.json) return out.data(s);
        out.line(
          `Since ${when(s.since)}: ${s.accepted} accepted, ${s.delivered} delivered, ${s.failed} failed, ${s.retrying} retrying, ${s.held} held`,
        );
        if (s.oldestUndeliveredAt) out.line(`Oldest undelivered: ${when(s.oldestUndeliveredAt)}`);
        out.table(
          ['INTEGRATION', 'HEALTH', 'DELIVERED', 'FAILED', 'RETRYING', 'LAST SUCCESS', 'LAST FAILURE'],
          s.integrations.map((i) => [
            i.integrationId,
            out.status(i.health),
            `${i.delivered}`,
            `${i.failed}`,
            `${i.retrying}`,
            i.lastSuccessAt ? when(i.lastSuccessAt) : '',
            i.lastFailureAt ? when(i.lastFailureAt) : '',
          ]),
        );
      }),
    );
}
