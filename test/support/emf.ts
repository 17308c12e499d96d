/** One EMF line as Powertools Metrics writes it to stdout (CloudWatch's embedded metric format). */
export interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const isEmf = (v: unknown): v is EmfLine =>
  typeof v === 'object' && v !== null && '_aws' in v && typeof v._aws === 'object';

/**
 * Keeps the EMF lines written to stdout from now on (and lets every other write through), until
 * `stop`. Powertools writes each line with one write of its own console on process.stdout.
 */
export function captureEmf() {
  const lines: EmfLine[] = [];
  const original = process.stdout.write;
  const write = original.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    let kept = false;
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isEmf(parsed)) {
          lines.push(parsed);
          kept = true;
        }
      } catch {
        // Not JSON: someone else's line.
      }
    }
    return kept ? true : write(chunk, ...rest);
  }) as typeof process.stdout.write;

  /** Every value of `name` in the lines kept, each line's values in order. */
  const values = (name: string): number[] =>
    lines.flatMap((l) => {
      const v = l[name];
      if (!l._aws.CloudWatchMetrics.some((m) => m.Metrics.some((d) => d.Name === name))) return [];
      return Array.isArray(v) ? (v as number[]) : typeof v === 'number' ? [v] : [];
    });
  return {
    lines,
    values,
    /** The sum of a count metric's values. */
    sum: (name: string) => values(name).reduce((a, b) => a + b, 0),
    /** The lines that carry `name`. */
    linesWith: (name: string) =>
      lines.filter((l) => l._aws.CloudWatchMetrics.some((m) => m.Metrics.some((d) => d.Name === name))),
    clear: () => {
      lines.length = 0;
    },
    stop: () => {
      process.stdout.write = original;
    },
  };
}
