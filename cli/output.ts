import { styleText } from 'node:util';
import Table from 'cli-table3';

/**
 * How a command prints: `--json` writes one JSON document to stdout (the tail commands, one per line);
 * otherwise tables and colour when stdout is a terminal, tab-separated lines when it is not (for
 * grep, cut, awk).
 */
export interface Output {
  readonly json: boolean;
  readonly tty: boolean;
  /** One JSON document on stdout. */
  data(value: unknown): void;
  /** A line of human text on stdout. */
  line(text?: string): void;
  /** A note on stderr (hints, "more pages"), never part of what a script parses. */
  note(text: string): void;
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void;
  /** Coloured on a terminal, plain otherwise. */
  paint(style: Parameters<typeof styleText>[0], text: string): string;
  status(status: string): string;
}

const STATUS_STYLES: Readonly<Record<string, Parameters<typeof styleText>[0]>> = {
  delivered: 'green',
  ok: 'green',
  active: 'green',
  accepted: 'cyan',
  queued: 'cyan',
  pending: 'yellow',
  retrying: 'yellow',
  held: 'yellow',
  failed: 'red',
  disabled: 'red',
  revoked: 'red',
};

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  const tty = Boolean(stdout.isTTY);
  const paint = (style: Parameters<typeof styleText>[0], text: string) =>
    tty ? styleText(style, text, { stream: stdout }) : text;
  return {
    json,
    tty,
    data: (value) => stdout.write(`${JSON.stringify(value, null, tty ? 2 : undefined)}\n`),
    line: (text = '') => stdout.write(`${text}\n`),
    note: (text) => stderr.write(`${tty ? styleText('dim', text, { stream: stderr }) : text}\n`),
    table(headers, rows) {
      if (!tty) {
        stdout.write(`${[headers, ...rows].map((r) => r.join('\t')).join('\n')}\n`);
        return;
      }
      const table = new Table({
        head: headers.map((h) => styleText('bold', h, { stream: stdout })),
        style: { head: [], border: [], 'padding-left': 0, 'padding-right': 2 },
        chars: {
          top: '',
          'top-mid': '',
          'top-left': '',
          'top-right': '',
          bottom: '',
          'bottom-mid': '',
          'bottom-left': '',
          'bottom-right': '',
          left: '',
          'left-mid': '',
          mid: '',
          'mid-mid': '',
          right: '',
          'right-mid': '',
          middle: '',
        },
      });
      table.push(...rows.map((r) => [...r]));
      stdout.write(`${table.toString()}\n`);
    },
    paint,
    status: (status) => {
      const style = STATUS_STYLES[status];
      return style ? paint(style, status) : status;
    },
  };
}

/** Bytes as a person reads them. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** An ISO instant as `2026-12-02 20:31:04.120Z`: sortable, and every part of it shown. */
export const when = (iso: string | undefined) => (iso ? iso.replace('T', ' ') : '');
