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
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import jsonata from 'jsonata';

/** The longest one evaluation may take, in milliseconds (wall time, including a stuck regex). */
export const EXPRESSION_TIME_BUDGET_MS = 1000;
/** How deeply evaluation may nest (jsonata's own depth count: nested nodes and function calls). */
export const EXPRESSION_DEPTH_BUDGET = 400;
/** The heap an expression worker may use; past it the worker dies and the evaluation fails. */
const WORKER_HEAP_MB = 128;
/** jsonata's cooperative deadline, a little before the hard one, so it usually ends first. */
const COOPERATIVE_TIMEOUT_MS = EXPRESSION_TIME_BUDGET_MS - 150;
const ROLE = 'crossdock-expression-worker';

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
}
type Reply = { id: number } & ({ ok: true; json?: string } | { ok: false; code?: string; message: string });

// ---- worker side ---------------------------------------------------------------------------------

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === ROLE) serve();

function serve(): void {
  const port = parentPort;
  if (!port) return;
  const compiled = new Map<string, ReturnType<typeof jsonata>>();
  port.on('message', async ({ id, source, input }: Request) => {
    let reply: Reply;
    try {
      let expression = compiled.get(source);
      if (!expression) {
        if (compiled.size >= 256) compiled.clear();
        expression = jsonata(source, { timeout: COOPERATIVE_TIMEOUT_MS, stack: EXPRESSION_DEPTH_BUDGET });
        compiled.set(source, expression);
      }
      const value = await expression.evaluate(input);
      // JSON is what every caller does with a result (a filter's boolean, a template's body); it
      // also drops what cannot cross threads (functions) instead of failing the post.
      reply = value === undefined ? { id, ok: true } : { id, ok: true, json: JSON.stringify(value) };
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      reply = {
        id,
        ok: false,
        ...(typeof err.code === 'string' ? { code: err.code } : {}),
        message: String(err.message ?? e).slice(0, 2048),
      };
    }
    port.postMessage(reply);
  });
}

// ---- main side -----------------------------------------------------------------------------------

interface Job extends Request {
  resolve: (e: Evaluation) => void;
}

/**
 * Runs evaluations one at a time on one worker. A job that overruns is answered `timeout` and the
 * worker replaced; a worker that dies (its heap limit) answers `memory` for its job. Jobs queue
 * behind each other, so one bad expression delays the others by at most the budget.
 */
class ExpressionRunner {
  #worker: Worker | undefined;
  #queue: Job[] = [];
  #current: { job: Job; timer: NodeJS.Timeout } | undefined;
  #nextId = 1;

  evaluate(source: string, input: unknown): Promise<Evaluation> {
    return new Promise((resolve) => {
      this.#queue.push({ id: this.#nextId++, source, input, resolve });
      this.#pump();
    });
  }

  #pump(): void {
    if (this.#current) return;
    const job = this.#queue.shift();
    if (!job) return;
    const worker = this.#ensureWorker();
    const timer = setTimeout(() => {
      this.#finish(job, {
        ok: false,
        kind: 'timeout',
        message: `The expression ran longer than its budget of ${EXPRESSION_TIME_BUDGET_MS} ms and was stopped.`,
      });
      this.#discardWorker();
    }, EXPRESSION_TIME_BUDGET_MS);
    this.#current = { job, timer };
    try {
      worker.postMessage({ id: job.id, source: job.source, input: job.input } satisfies Request);
    } catch (e) {
      // The input cannot be copied to the worker (it was not plain data).
      this.#finish(job, { ok: false, kind: 'error', message: `The input cannot be evaluated: ${String(e)}` });
    }
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { role: ROLE },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    // An idle worker must not keep a process (a CLI, a test run) alive.
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const current = this.#current;
      if (!current || current.job.id !== reply.id) return;
      this.#finish(
        current.job,
        reply.ok
          ? { ok: true, value: reply.json === undefined ? undefined : JSON.parse(reply.json) }
          : {
              ok: false,
              kind: reply.code === 'D1011' ? 'depth' : reply.code === 'D1012' ? 'timeout' : 'error',
              ...(reply.code ? { code: reply.code } : {}),
              message: reply.message,
            },
      );
    });
    const died = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      const current = this.#current;
      if (current) {
        this.#finish(current.job, {
          ok: false,
          kind: /memory/i.test(why) ? 'memory' : 'error',
          message: `The expression stopped its evaluator: ${why}`,
        });
      }
    };
    worker.on('error', (e) => died((e as { code?: string }).code ?? e.message));
    worker.on('exit', (code) => died(`exit ${code}`));
    this.#worker = worker;
    return worker;
  }

  #discardWorker(): void {
    const worker = this.#worker;
    this.#worker = undefined;
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
 * Evaluates a JSONata expression over plain data (a parsed document, a row) within the budget.
 * Never throws: an expression that fails, or overruns its time, depth or memory, is a result with a
 * `kind`, for the caller to apply its rule (a filter counts as false; a template fails the attempt).
 */
export function evaluateExpression(source: string, input: unknown): Promise<Evaluation> {
  runner ??= new ExpressionRunner();
  return runner.evaluate(source, input);
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
