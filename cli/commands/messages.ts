import { type Command, Option } from 'commander';
import { ok, type operations, type paths } from '../../client/index.js';
import { action, type Context } from '../context.js';
import { allPages, follow, untilInterrupted } from '../follow.js';
import { bytes, type Output, when } from '../output.js';
import { instantOption, wholeNumber } from '../parse.js';
import { watchJob } from '../progress.js';
import { allIntegrations, findIntegration } from './integrations.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type LogQuery = NonNullable<operations['listMessages']['parameters']['query']>;
export type LogEntry = Json<operations['listMessages']['responses'][200]>['messages'][number];
// By path, not operationId: an operationId follows the handler's export, which grouping may change.
type MessageView = Json<paths['/admin/messages/{id}']['get']['responses'][200]>;
type Delivery = MessageView['deliveries'][number];

const MESSAGE_STATUSES = Object.keys({
  accepted: true,
  pending: true,
  delivered: true,
  failed: true,
} satisfies Record<NonNullable<LogQuery['status']>, true>);

interface FilterOptions {
  sender?: string;
  receiver?: string;
  partner?: string;
  doctype?: string;
  status?: LogQuery['status'];
  integration?: string;
  since?: string;
  until?: string;
  limit?: number;
}

/** The filters of GET /admin/messages, shared by ls and tail. */
function withFilters(command: Command): Command {
  return command
    .option('--sender <code>', 'sent by this partner')
    .option('--receiver <code>', 'sent to this partner')
    .option('--partner <code>', 'sent by or to this partner')
    .option('--doctype <doctype>', 'of this document type')
    .addOption(new Option('--status <status>', 'in this status').choices(MESSAGE_STATUSES))
    .option('--integration <idOrName>', 'routed to this integration')
    .option('--since <when>', 'received at or after (ISO 8601, or a time ago: 15m, 2h, 7d)', instantOption)
    .option('--until <when>', 'received at or before (ISO 8601, or a time ago)', instantOption);
}

async function queryOf(ctx: Context, o: FilterOptions): Promise<LogQuery> {
  const q: LogQuery = {};
  if (o.sender) q.sender = o.sender;
  if (o.receiver) q.receiver = o.receiver;
  if (o.partner) q.partner = o.partner;
  if (o.doctype) q.doctype = o.doctype;
  if (o.status) q.status = o.status;
  if (o.integration) q.integrationId = (await findIntegration(ctx.client(), o.integration)).id;
  if (o.since) q.since = o.since;
  if (o.until) q.until = o.until;
  if (o.limit) q.limit = String(o.limit);
  return q;
}

const deliverySummary = (out: Output, m: LogEntry) =>
  m.deliveries
    .map((d) => `${out.status(d.status)}×${d.attempts}${d.lastStatusCode ? ` (${d.lastStatusCode})` : ''}`)
    .join(' ');

function logRow(out: Output, m: LogEntry): string[] {
  return [
    when(m.receivedAt),
    m.id,
    out.status(m.status),
    `${m.sender} → ${m.receiver}`,
    m.doctype,
    m.version,
    bytes(m.size),
    deliverySummary(out, m),
  ];
}
const LOG_HEADERS = ['RECEIVED', 'ID', 'STATUS', 'ROUTE', 'DOCTYPE', 'VERSION', 'SIZE', 'DELIVERIES'];

/** A message's deliveries, each with its attempts as a timeline. */
export function printMessage(out: Output, m: MessageView, names: ReadonlyMap<string, string>): void {
  out.line(`${out.paint('bold', `Message ${m.id}`)}  ${out.status(m.status)}`);
  const facts: [string, string][] = [
    ['route', `${m.sender} → ${m.receiver}`],
    ['doctype', `${m.doctype}  version ${m.version || '(none)'}`],
    ['document', `${bytes(m.size)}  ${m.contentType}  sha256 ${m.sha256}`],
    ['received', when(m.receivedAt)],
  ];
  if (m.source)
    facts.push(['source', `entity ${m.source.entity} row ${m.source.id} version ${m.source.version}`]);
  if (m.note) facts.push(['note', m.note]);
  for (const [k, v] of facts) out.line(`  ${k.padEnd(9)} ${v}`);
  if (!m.deliveries.length) {
    out.line();
    out.line('No deliveries.');
  }
  m.deliveries.forEach((d, i) => {
    out.line();
    printDelivery(out, d, i + 1, m.deliveries.length, names.get(d.integrationId));
  });
}

function printDelivery(out: Output, d: Delivery, n: number, of: number, name: string | undefined): void {
  const title = name ? `${name} (${d.integrationId})` : d.integrationId;
  out.line(`${out.paint('bold', `Delivery ${n}/${of}`)}  ${title}  ${d.mode}  ${out.status(d.status)}`);
  if (!d.attempts.length) out.line('  no attempt yet');
  else {
    const rounds = new Set(d.attempts.map((a) => a.round ?? 1)).size > 1;
    out.table(
      ['  ATTEMPT', 'AT', 'STATUS', 'DURATION', 'ERROR'],
      d.attempts.map((a) => [
        `  ${rounds ? `${a.round ?? 1}.` : '#'}${a.n}`,
        when(a.at),
        a.statusCode === undefined
          ? '-'
          : out.paint(a.statusCode < 300 ? 'green' : 'red', String(a.statusCode)),
        `${a.durationMs} ms`,
        a.error ?? '',
      ]),
    );
  }
  if (d.nextAttemptAt) out.line(`  next attempt ${when(d.nextAttemptAt)}`);
  if (d.error) out.line(`  ${out.paint('red', 'reason')}  ${d.error}`);
  if (d.response) {
    const r = d.response;
    const body = r.body.length > 200 ? `${r.body.slice(0, 200)}…` : r.body;
    out.line(
      `  response ${r.statusCode}${r.contentType ? ` ${r.contentType}` : ''}${r.truncated ? ' (truncated)' : ''}: ${JSON.stringify(body)}`,
    );
  }
}

/** messages ls|show|retry|tail. */
export function messageCommands(program: Command): Command {
  const messages = program.command('messages').description('the message log');

  withFilters(messages.command('ls').description('the message log, newest first'))
    .option('--limit <n>', 'messages per page (1-100, default 50)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the page after this cursor (a previous page printed it)')
    .option('--all', 'every page, not only the first')
    .action(
      action<FilterOptions & { cursor?: string; all?: boolean }>(async (ctx, _args, o) => {
        const query = await queryOf(ctx, o);
        const page = (cursor?: string) =>
          ok(
            ctx
              .client()
              .GET('/admin/messages', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } } }),
          );
        if (o.all) {
          const all = await allPages(async (cursor) => {
            const p = await page(cursor);
            return { items: p.messages, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
          }, o.cursor);
          if (ctx.out.json) return ctx.out.data({ messages: all });
          return ctx.out.table(
            LOG_HEADERS,
            all.map((m) => logRow(ctx.out, m)),
          );
        }
        const answer = await page(o.cursor);
        if (ctx.out.json) return ctx.out.data(answer);
        ctx.out.table(
          LOG_HEADERS,
          answer.messages.map((m) => logRow(ctx.out, m)),
        );
        if (answer.nextCursor) ctx.out.note(`More: --cursor ${answer.nextCursor} (or --all for every page)`);
      }),
    );

  messages
    .command('show <id>')
    .description('a message, every delivery, and each attempt: when, status code, duration, error')
    .action(
      action(async ({ out, client }, [id]) => {
        const message = await ok(
          client().GET('/admin/messages/{id}', { params: { path: { id: id as string } } }),
        );
        if (out.json) return out.data(message);
        const names = new Map(
          (await allIntegrations(client()).catch(() => [])).map((i) => [i.id, i.name] as const),
        );
        printMessage(out, message, names);
      }),
    );

  messages
    .command('retry <id>')
    .description("start the message's failed deliveries again from attempt 1")
    .action(
      action(async ({ out, client }, [id]) => {
        const answer = await ok(
          client().POST('/admin/messages/{id}/retry', { params: { path: { id: id as string } } }),
        );
        if (out.json) return out.data(answer);
        if (!answer.retried.length) return out.line(`Message ${id} has no failed delivery to retry.`);
        const n = answer.retried.length;
        out.line(
          `Retrying ${n} ${n === 1 ? 'delivery' : 'deliveries'} of ${id}: ${answer.retried.join(', ')}`,
        );
        out.note(`Follow them: crossdock messages show ${id}`);
      }),
    );

  messages
    .command('replay')
    .description('start every matching failed delivery again from attempt 1 (a hub job)')
    .requiredOption('--since <when>', 'received at or after (ISO 8601, or 2h, 7d)', instantOption)
    .option('--until <when>', 'received at or before', instantOption)
    .addOption(new Option('--status <status>', 'deliveries in this status').choices(['failed']))
    .option('--integration <idOrName>', 'of this integration')
    .option('--receiver <code>', 'to this partner')
    .option('--dry-run', 'only count what matches')
    .action(
      action<{
        since: string;
        until?: string;
        status?: 'failed';
        integration?: string;
        receiver?: string;
        dryRun?: boolean;
      }>(async (ctx, _args, o) => {
        const body = {
          since: o.since,
          ...(o.until ? { until: o.until } : {}),
          ...(o.status ? { status: o.status } : {}),
          ...(o.receiver ? { receiver: o.receiver } : {}),
          ...(o.dryRun ? { dryRun: true } : {}),
          ...(o.integration
            ? { integrationId: (await findIntegration(ctx.client(), o.integration)).id }
            : {}),
        };
        const started = await ok(ctx.client().POST('/admin/messages/retry', { body }));
        if (!('jobId' in started)) {
          return ctx.out.json
            ? ctx.out.data(started)
            : ctx.out.line(
                `${started.matched} ${started.matched === 1 ? 'delivery matches' : 'deliveries match'}.`,
              );
        }
        const job = await watchJob(
          ctx.out,
          () => ok(ctx.client().GET('/admin/jobs/{id}', { params: { path: { id: started.jobId } } })),
          { signal: untilInterrupted() },
        );
        if (ctx.out.json) return ctx.out.data(job);
        ctx.out.line(
          `${job.done} of ${job.matched} started again, ${job.failed} could not be (job ${job.id}, ${job.status}).`,
        );
      }),
    );

  withFilters(messages.command('tail').description('print messages as they arrive, until Ctrl-C'))
    .option('--interval <ms>', 'how often to poll (default 1000)', wholeNumber(100, 600_000), 1000)
    .action(
      action<FilterOptions & { interval: number }>(async (ctx, _args, o) => {
        const query = await queryOf(ctx, { ...o, since: undefined });
        const list = async (since: string | undefined, onePage: boolean) => {
          const q = { ...query, limit: '100', ...(since ? { since } : {}) };
          const page = (cursor?: string) =>
            ok(
              ctx
                .client()
                .GET('/admin/messages', { params: { query: { ...q, ...(cursor ? { cursor } : {}) } } }),
            );
          if (onePage) return (await page()).messages;
          return allPages(async (cursor) => {
            const p = await page(cursor);
            return { items: p.messages, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
          });
        };
        if (!ctx.out.json && ctx.out.tty) ctx.out.note('Waiting for messages (Ctrl-C to stop)…');
        await follow<LogEntry>({
          since: (since) => list(since, false),
          latest: () => list(undefined, true),
          id: (m) => m.id,
          at: (m) => m.receivedAt,
          print: (m) =>
            ctx.out.json ? ctx.out.line(JSON.stringify(m)) : ctx.out.line(logRow(ctx.out, m).join('  ')),
          intervalMs: o.interval,
          signal: untilInterrupted(),
          ...(o.since ? { from: o.since } : {}),
        });
      }),
    );

  return messages;
}
