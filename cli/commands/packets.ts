import { type Command, Option } from 'commander';
import { ok, type paths } from '../../client/index.js';
import { action, type Context } from '../context.js';
import { allPages } from '../follow.js';
import { bytes, type Output, when } from '../output.js';
import { wholeNumber } from '../parse.js';

type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;
type PacketPage = Json<paths['/admin/packets/{appArea}']['get']['responses'][200]>;
type PacketEntry = PacketPage['packets'][number];
type PacketStatus = PacketEntry['status'];

/** Every status the hub names (a Record, so a status the hub adds is a compile error here). */
const STATUSES = Object.keys({ awaiting: true, ready: true, done: true, failed: true } satisfies Record<
  PacketStatus,
  true
>) as PacketStatus[];

const HEADERS = ['CREATED', 'SYNC LOG ID', 'STATUS', 'DIRECTION', 'USER', 'TYPE', 'SIZE', 'REASON'];
const row = (out: Output, p: PacketEntry) => [
  when(p.createdAt),
  p.syncLogId,
  out.status(p.status),
  p.direction,
  p.mobileUser,
  p.packetType,
  bytes(p.size),
  p.error ?? p.note ?? '',
];

function page(ctx: Context, appArea: string, query: { status?: PacketStatus; limit?: string }) {
  return async (cursor?: string) => {
    const p = await ok(
      ctx.client().GET('/admin/packets/{appArea}', {
        params: { path: { appArea }, query: { ...query, ...(cursor ? { cursor } : {}) } },
      }),
    );
    return { items: p.packets, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) };
  };
}

/** packets ls <appArea>: an app area's sync packets (seed 003), newest first, failed ones with why. */
export function packetCommands(program: Command): void {
  program
    .command('packets')
    .description("an app area's ERP and device sync packets")
    .command('ls <appArea>')
    .description('list the packets of an app area, newest first (failed ones with their reason)')
    .addOption(new Option('--status <status>', 'only packets in this status').choices(STATUSES))
    .option('--limit <n>', 'packets per page (1-100, default 50)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the page after this cursor')
    .option('--all', 'every page, not only the first')
    .action(
      action<{ status?: PacketStatus; limit?: number; cursor?: string; all?: boolean }>(
        async (ctx, [area], o) => {
          const next = page(ctx, area as string, {
            ...(o.status ? { status: o.status } : {}),
            ...(o.limit ? { limit: String(o.limit) } : {}),
          });
          if (o.all) {
            const all = await allPages(next, o.cursor);
            if (ctx.out.json) return ctx.out.data({ packets: all });
            return ctx.out.table(
              HEADERS,
              all.map((p) => row(ctx.out, p)),
            );
          }
          const p = await next(o.cursor);
          if (ctx.out.json)
            return ctx.out.data({ packets: p.items, ...(p.nextCursor ? { nextCursor: p.nextCursor } : {}) });
          ctx.out.table(
            HEADERS,
            p.items.map((x) => row(ctx.out, x)),
          );
          if (p.nextCursor) ctx.out.note(`More: --cursor ${p.nextCursor} (or --all for every page)`);
        },
      ),
    );
}
