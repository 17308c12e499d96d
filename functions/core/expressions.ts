/**
 * Every operator expression (JSONata filters, templates, and the write-back and inbound templates to
 * come) is evaluated here, under a budget that holds whatever the expression does.
 *
 * Why a worker thread: jsonata's own guardrails (`timeout`, `stack`) are checked each time it enters
 * an expression node, which ends loops and runaway recursion, but not one long built-in step: a
 * catastrophic regular expression (`/^(a+)+$/` on 40 characters) runs inside one native `exec`, and
 * `$sort([1..1000000])` ran 47 s and exhausted a 4 GB heap in one call. Checking regexes at
 * registration only narrows the first case (V8's linear engine refuses the `i` flag; star-height
 * heuristics miss shapes), and does nothing for the second. So each evaluation runs in a worker
 * thread with a deadline and a heap limit: the main thread terminates the worker when the deadline
 * passes (V8 interrupts even a backtracking regex) and starts a fresh one for the next evaluation.
 * jsonata's guardrails stay on inside the worker, so most overruns end cooperatively, without
 * paying for a new worker. The same code runs on Lambda and in the local hub.
 *
 * This file imports nothing of the project's own, so Node can load it as a worker by itself: from
 * the TypeScript source (type stripping) in development and tests, and from the bundle on Lambda,
 * where `import.meta.url` is the handler's bundle (which contains this module).
 *
 * jsonata and the XML builder are imported by the worker only, when it starts: the function's own
 * thread never evaluates an expression, so its cold start does not load them (lib/bundling.ts puts
 * them in chunks loaded on demand).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type jsonata from 'jsonata';

/** The longest one evaluation may take, in milliseconds (wall time, including a stuck regex). */
export const EXPRESSION_TIME_BUDGET_MS = 1000;
/** How deeply evaluation may nest (jsonata's own depth count: nested nodes and function calls). */
export const EXPRESSION_DEPTH_BUDGET = 400;
/** The largest result an evaluation may produce (a template's body), in UTF-16 code units. */
export const MAX_RESULT_CHARS = 16 * 1024 * 1024;
/**
 * The heap an expression worker may use; past it the worker dies and the evaluation fails. Sized to
 * fit beside the function's own heap in a 256 MB Lambda.
 */
const WORKER_HEAP_MB = 64;
/** jsonata's cooperative deadline, a little before the hard one, so it usually ends first. */
const COOPERATIVE_TIMEOUT_MS = EXPRESSION_TIME_BUDGET_MS - 150;
/**
 * Starting a worker (it loads the function's bundle) and copying a large document to it are not the
 * expression's doing, so they are not in its budget; they have a deadline of their own.
 */
const DISPATCH_TIMEOUT_MS = 15_000;
const ROLE = 'crossdock-expression-worker';

/** How the hub writes XML from a template's result (the same options the renderer uses). */
export const XML_OUTPUT_OPTIONS = { ignoreAttributes: false, attributeNamePrefix: '@', format: false };

/**
 * What the caller needs of the result, produced inside the worker so it is under the budget too:
 * `boolean` (a filter: true only for `true`), `json` or `xml` (a template's body, as text), or
 * `value` (the result itself, through JSON).
 */
export type ResultShape = 'boolean' | 'json' | 'xml' | 'value';

export type Evaluation =
  | { ok: true; value: unknown }
  | {
      ok: false;
      /** `timeout`, `depth` and `memory` are budget overruns; `error` is the expression's own failure. */
      kind: 'timeout' | 'depth' | 'memory' | 'error';
      /** jsonata's error code, when it gave one (never document values: safe to log). */
      code?: string;
      /** A sentence for the attempt record; it may quote the document, so it is not logged. */
      message: string;
    };

interface Request {
  id: number;
  source: string;
  input: unknown;
  shape: ResultShape;
}
type Reply =
  | { type: 'ready' }
  | { type: 'begin'; id: number }
  | ({ type: 'done'; id: number } & (
      | { ok: true; value?: unknown; json?: string }
      | { ok: false; code?: string; message: string }
    ));

// ---- worker side ---------------------------------------------------------------------------------

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === ROLE) void serve();

async function serve(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const [{ default: jsonata }, { XMLBuilder }] = await Promise.all([
    import('jsonata'),
    import('fast-xml-parser'),
  ]);
  const compiled = new Map<string, ReturnType<typeof jsonata>>();
  const xml = new XMLBuilder(XML_OUTPUT_OPTIONS);
  const maxChars = (workerData as { maxResultChars?: number }).maxResultChars ?? MAX_RESULT_CHARS;
  const tooLarge = (n: number) => `the result is ${n} characters, over the ${maxChars} allowed`;
  port.on('message', async ({ id, source, input, shape }: Request) => {
    let reply: Reply;
    try {
      let expression = compiled.get(source);
      if (!expression) {
        if (compiled.size >= 256) compiled.clear();
        expression = jsonata(source, { timeout: COOPERATIVE_TIMEOUT_MS, stack: EXPRESSION_DEPTH_BUDGET });
        compiled.set(source, expression);
      }
      // The input has been copied in and the expression compiled: the budget starts now.
      port.postMessage({ type: 'begin', id } satisfies Reply);
      const value = await expression.evaluate(input);
      if (shape === 'boolean') {
        reply = { type: 'done', id, ok: true, value: value === true };
      } else {
        // Text is what every other caller does with a result; JSON also drops what cannot cross
        // threads (functions) instead of failing the post.
        const text = shape === 'xml' ? String(xml.build(value)) : JSON.stringify(value ?? null);
        if (text.length > maxChars) throw new Error(tooLarge(text.length));
        reply =
          shape === 'value' && value === undefined
            ? { type: 'done', id, ok: true }
            : { type: 'done', id, ok: true, json: text };
      }
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      reply = {
        type: 'done',
        id,
        ok: false,
        ...(typeof err.code === 'string' ? { code: err.code } : {}),
        message: String(err.message ?? e).slice(0, 2048),
      };
    }
    port.postMessage(reply);
  });
  port.postMessage({ type: 'ready' } satisfies Reply);
}

// ---- main side -----------------------------------------------------------------------------------

interface Job extends Request {
  resolve: (e: Evaluation) => void;
}

/**
 * Runs evaluations one at a time on one worker. A job that overruns is answered `timeout` and the
 * worker replaced before the next job starts; a worker that dies (its heap limit) answers `memory`
 * for its job. Jobs queue behind each other: each overrun costs those behind it up to the budget.
 */
export class ExpressionRunner {
  /** The result cap is an option so a test can reach it without building 16 MB inside the budget. */
  readonly #maxResultChars: number;

  constructor(options: { maxResultChars?: number } = {}) {
    this.#maxResultChars = options.maxResultChars ?? MAX_RESULT_CHARS;
  }

  #worker: Worker | undefined;
  #ready = false;
  #queue: Job[] = [];
  #current: { job: Job; timer: NodeJS.Timeout } | undefined;
  #nextId = 1;

  evaluate(source: string, input: unknown, shape: ResultShape = 'value'): Promise<Evaluation> {
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, source, input, shape, resolve });
      this.#pump();
    });
  }

  /** Stops the worker (tests; a process that wants to exit at once). */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #pump(): void {
    if (this.#current || this.#queue.length === 0) return;
    const worker = this.#ensureWorker();
    if (!this.#ready) return; // the worker's `ready` pumps again
    const job = this.#queue.shift() as Job;
    this.#current = {
      job,
      timer: this.#deadline(job, DISPATCH_TIMEOUT_MS, 'could not be handed to its evaluator in time'),
    };
    try {
      worker.postMessage({
        id: job.id,
        source: job.source,
        input: job.input,
        shape: job.shape,
      } satisfies Request);
    } catch (e) {
      // The input cannot be copied to the worker (it was not plain data).
      this.#finish(job, { ok: false, kind: 'error', message: `The input cannot be evaluated: ${String(e)}` });
    }
  }

  /** Arms the hard stop: past it, the worker is replaced first, then the job answered. */
  #deadline(job: Job, ms: number, what: string): NodeJS.Timeout {
    return setTimeout(() => {
      this.#discardWorker();
      this.#finish(job, { ok: false, kind: 'timeout', message: `The expression ${what} and was stopped.` });
    }, ms);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { role: ROLE, maxResultChars: this.#maxResultChars },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    this.#ready = false;
    // A worker that never becomes ready (or dies first) answers the job at the head of the queue, so
    // no evaluation waits forever on an evaluator that cannot start.
    const boot = setTimeout(() => {
      if (this.#worker === worker && !this.#ready) {
        this.#discardWorker();
        this.#failHead('did not start in time');
      }
    }, DISPATCH_TIMEOUT_MS);
    worker.on('message', (reply: Reply) => {
      if (this.#worker !== worker) return;
      if (reply.type === 'ready') {
        clearTimeout(boot);
        this.#ready = true;
        this.#pump();
        return;
      }
      const current = this.#current;
      if (!current || current.job.id !== reply.id) return;
      if (reply.type === 'begin') {
        clearTimeout(current.timer);
        current.timer = this.#deadline(
          current.job,
          EXPRESSION_TIME_BUDGET_MS,
          `ran longer than its budget of ${EXPRESSION_TIME_BUDGET_MS} ms`,
        );
        return;
      }
      this.#finish(
        current.job,
        reply.ok
          ? {
              ok: true,
              value:
                reply.json === undefined
                  ? reply.value
                  : current.job.shape === 'value'
                    ? JSON.parse(reply.json)
                    : reply.json,
            }
          : {
              ok: false,
              kind: reply.code === 'D1011' ? 'depth' : reply.code === 'D1012' ? 'timeout' : 'error',
              ...(reply.code ? { code: reply.code } : {}),
              message: reply.message,
            },
      );
    });
    const died = (why: string) => {
      clearTimeout(boot);
      if (this.#worker !== worker) return;
      const started = this.#ready;
      this.#worker = undefined;
      this.#ready = false;
      const current = this.#current;
      if (current) {
        this.#finish(current.job, {
          ok: false,
          kind: /memory/i.test(why) ? 'memory' : 'error',
          message: `The expression stopped its evaluator: ${why}`,
        });
      } else if (!started) {
        this.#failHead(`could not start (${why})`);
      }
    };
    worker.on('error', (e) => died((e as { code?: string }).code ?? e.message));
    worker.on('exit', (code) => died(`exit ${code}`));
    // After the listeners (adding a listener refs the worker again): an idle worker must not keep a
    // process (a CLI, a test run) alive; a pending evaluation's timer does.
    worker.unref();
    this.#worker = worker;
    return worker;
  }

  #failHead(why: string): void {
    const job = this.#queue.shift();
    if (job) this.#finish(job, { ok: false, kind: 'error', message: `The expression's evaluator ${why}.` });
  }

  #discardWorker(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#ready = false;
    void worker?.terminate();
  }

  #finish(job: Job, result: Evaluation): void {
    if (this.#current?.job === job) {
      clearTimeout(this.#current.timer);
      this.#current = undefined;
    }
    job.resolve(result);
    this.#pump();
  }
}

let runner: ExpressionRunner | undefined;

/**
 * Evaluates a JSONata expression over plain data (a parsed document, a row) within the budget, and
 * shapes the result (see ResultShape). Never throws: an expression that fails, or overruns its time,
 * depth, memory or result size, is a result with a `kind`, for the caller to apply its rule (a
 * filter counts as false; a template fails the attempt).
 */
export function evaluateExpression(
  source: string,
  input: unknown,
  shape: ResultShape = 'value',
): Promise<Evaluation> {
  runner ??= new ExpressionRunner();
  return runner.evaluate(source, input, shape);
}

/** The reason to record for a failed evaluation: what went wrong, without the budget internals. */
export function describeFailure(e: Extract<Evaluation, { ok: false }>): string {
  switch (e.kind) {
    case 'timeout':
      return `the expression ran longer than ${EXPRESSION_TIME_BUDGET_MS} ms and was stopped`;
    case 'depth':
      return `the expression nested deeper than ${EXPRESSION_DEPTH_BUDGET} levels and was stopped`;
    case 'memory':
      return 'the expression used more memory than its budget and was stopped';
    default:
      return e.message;
  }
}
