/** Times in the operator's own zone; the UTC instant goes in the title (shown on hover). */
const local = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export const zoneName = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function localTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : local.format(d);
}

export function utcTitle(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : `${d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z')} UTC`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "in 1 hour". */
export function fromNow(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A `datetime-local` value (the operator's zone) as an ISO instant, or undefined when empty. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO instant as a `datetime-local` value in the operator's zone. */
export function isoToLocalInput(iso: string | undefined | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** At most this many characters of a document are shown; the rest is one click (or a download) away. */
export const PREVIEW_CHARS = 20_000;

/** JSON and XML pretty-printed; anything else as it is. */
export function pretty(body: string, contentType?: string): { text: string; kind: 'json' | 'xml' | 'text' } {
  const type = (contentType ?? '').toLowerCase();
  const trimmed = body.trimStart();
  if (type.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return { text: JSON.stringify(JSON.parse(body), null, 2), kind: 'json' };
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  if (type.includes('xml') || trimmed.startsWith('<')) return { text: prettyXml(body), kind: 'xml' };
  return { text: body, kind: 'text' };
}

/** Indents XML by its tags, without parsing it (linear in the input; never evaluates anything). */
export function prettyXml(xml: string): string {
  const tokens = xml.replace(/>\s+</g, '><').split(/(?=<)|(?<=>)/);
  let depth = 0;
  let textAfterOpening = false;
  const lines: string[] = [];
  for (const token of tokens) {
    if (!token.trim()) continue;
    const last = lines.length - 1;
    if (!token.startsWith('<')) {
      // Text stays on its element's line: <a>text</a>.
      if (last >= 0) lines[last] = `${lines[last]}${token.trim()}`;
      else lines.push(token.trim());
      textAfterOpening = true;
      continue;
    }
    if (token.startsWith('</')) {
      depth = Math.max(0, depth - 1);
      if (textAfterOpening && last >= 0) lines[last] = `${lines[last]}${token}`;
      else lines.push(`${'  '.repeat(depth)}${token}`);
      textAfterOpening = false;
      continue;
    }
    lines.push(`${'  '.repeat(depth)}${token}`);
    textAfterOpening = false;
    if (!token.endsWith('/>') && !token.startsWith('<?') && !token.startsWith('<!')) depth++;
  }
  return lines.join('\n');
}
