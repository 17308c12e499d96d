import { type Command, Option } from 'commander';
import { ok, type operations } from '../../client/index.js';
import { action, type Context } from '../context.js';
import { allPages, follow, untilInterrupted } from '../follow.js';
import { type Output, when } from '../output.js';
import { instantOption, wholeNumber } from '../parse.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type EventQuery = NonNullable<operations['listEvents']['parameters']['query']>;
type HubEvent = Json<operations['listEvents']['responses'][200]>['events'][number];
type EventType = NonNullable<EventQuery['type']>;

/** Every type the hub names (a Record, so a type the hub adds is a compile error here). */
const EVENT_TYPES = Object.keys({
  'delivery.exhausted': true,
  'integration.disabled': true,
  'integration.enabled': true,
  'packet.failed': true,
  'enablement.pending': true,
  'deadletter.marked': true,
} satisfies Record<EventType, true>) as EventType[];

const eventRow = (out: Output, e: HubEvent) => [
  when(e.at),
  out.paint(e.type.endsWith('enabled') ? 'green' : 'yellow', e.type),
  e.integrationId ?? '',
  e.messageId ?? '',
  e.partner ?? '',
  e.detail,
];
const EVENT_HEADERS = ['AT', 'TYPE', 'INTEGRATION', 'MESSAGE', 'PARTNER', 'DETAIL'];

interface EventOptions {
  since?: string;
  type?: EventType;
  limit?: number;
}

function eventPage(ctx: Context, query: EventQuery) {
  return async (cursor?: string) => {
    const p = await ok(
      ctx.client().GET('/admin/events', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } }),
    );
    return { items: p.events, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
  };
}

const withFilters = (command: Command) =>
  command
    .option('--since <when>', 'at or after (ISO 8601, or a time ago: 15m, 2h, 7d)', instantOption)
    .addOption(new Option('--type <type>', 'of this type').choices(EVENT_TYPES));

/** events ls|tail: the operational events of the last 30 days. */
export function eventCommands(program: Command): Command {
  const events = program.command('events').description('operational events (kept 30 days)');

  withFilters(events.command('ls').description('operational events, newest first'))
    .option('--limit <n>', 'events per page (1-100, default 50)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--all', 'every page, not only the first')
    .action(
      action<EventOptions & { cursor?: string; all?: boolean }>(async (ctx, _args, o) => {
        const query: EventQuery = {};
        if (o.since) query.since = o.since;
        if (o.type) query.type = o.type;
        if (o.limit) query.limit = String(o.limit);
        const page = eventPage(ctx, query);
        if (o.all) {
          const all = await allPages(page, o.cursor);
          if (ctx.out.json) return ctx.out.data({ events: all });
          return ctx.out.table(
            EVENT_HEADERS,
            all.map((e) => eventRow(ctx.out, e)),
          );
        }
        const p = await page(o.cursor);
        if (ctx.out.json)
          return ctx.out.data({ events: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) });
        ctx.out.table(
          EVENT_HEADERS,
          p.items.map((e) => eventRow(ctx.out, e)),
        );
        if (p.nextCursor) ctx.out.note(`More: --cursor ${p.nextCursor} (or --all for every page)`);
      }),
    );

  withFilters(events.command('tail').description('print events as they happen, until Ctrl-C'))
    .option('--interval <ms>', 'how often to poll (default 2000)', wholeNumber(100, 600_000), 2000)
    .action(
      action<EventOptions & { interval: number }>(async (ctx, _args, o) => {
        const base: EventQuery = { limit: '100', ...(o.type ? { type: o.type } : {}) };
        if (!ctx.out.json && ctx.out.tty) ctx.out.note('Waiting for events (Ctrl-C to stop)…');
        await follow<HubEvent>({
          since: (since) => allPages(eventPage(ctx, { ...base, ...(since ? { since } : {}) })),
          latest: async () => (await eventPage(ctx, base)()).items,
          id: (e) => e.id,
          at: (e) => e.at,
          print: (e) =>
            ctx.out.json ? ctx.out.line(JSON.stringify(e)) : ctx.out.line(eventRow(ctx.out, e).join('  ')),
          intervalMs: o.interval,
          signal: untilInterrupted(),
          ...(o.since ? { from: o.since } : {}),
        });
      }),
    );

  return events;
}
