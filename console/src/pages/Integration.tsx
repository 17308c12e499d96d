import type { InputHTMLAttributes } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { type CreatedIntegration, explain, type IntegrationDetail, ok, type Rotated } from '../api.js';
import { Empty, Link, Loading, PageHeader, Problem, SecretOnce, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { forgetIntegrations } from '../integrations-cache.js';
import { navigate } from '../router.js';
import { INTEGRATION_FIELDS, integrationProblems, type Problems } from '../rules.js';
import { useSession } from '../session-context.js';

/** The form's fields, as typed; turned into the API's body by toDraft. */
interface Form {
  name: string;
  direction: string;
  entity: string;
  consentType: string;
  active: boolean;
  receiver: string;
  sender: string;
  version: string;
  filter: string;
  notes: string;
  maxAttempts: string;
  parallel: boolean;
  batchSize: string;
  managed: boolean;
  clientScheduleEditable: boolean;
  includeUpdate: boolean;
  continuous: boolean;
  defaultSchedule: string;
  mode: string;
  url: string;
  format: string;
  template: string;
  timeoutMs: string;
  retrySchedule: string;
  headers: string;
  inboundTemplate: string;
}

const EMPTY: Form = {
  name: '',
  direction: 'Outbound',
  entity: '',
  consentType: 'None',
  active: true,
  receiver: '',
  sender: '',
  version: '',
  filter: '',
  notes: '',
  maxAttempts: '4',
  parallel: true,
  batchSize: '10',
  managed: false,
  clientScheduleEditable: false,
  includeUpdate: false,
  continuous: false,
  defaultSchedule: '',
  mode: 'push',
  url: '',
  format: 'raw',
  template: '',
  timeoutMs: '',
  retrySchedule: '',
  headers: '',
  inboundTemplate: '',
};

/** Digits become numbers; anything else is sent as typed, so the schema names the field. */
const num = (s: string): number | string | undefined => {
  const t = s.trim();
  if (t === '') return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
};
const opt = (s: string) => (s.trim() === '' ? undefined : s);

function headersOf(text: string): Record<string, string> | string | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at < 1) return line;
    headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

/** The body the form stands for, on top of what the integration has that the form does not show. */
function toDraft(
  f: Form,
  base: Record<string, unknown>,
): { draft: Record<string, unknown>; local: Problems } {
  const local: Record<string, string> = {};
  const draft: Record<string, unknown> = { ...base };
  const set = (k: string, v: unknown) => {
    if (v === undefined) delete draft[k];
    else draft[k] = v;
  };
  set('name', f.name);
  set('direction', f.direction);
  set('entity', f.entity);
  set('consentType', f.consentType);
  set('active', f.active);
  set('receiver', opt(f.receiver));
  set('sender', opt(f.sender));
  set('version', opt(f.version));
  set('filter', opt(f.filter));
  set('notes', opt(f.notes));
  set('maxAttempts', num(f.maxAttempts));
  set('parallel', f.parallel);
  set('batchSize', num(f.batchSize));
  set('managed', f.managed);
  set('clientScheduleEditable', f.clientScheduleEditable);
  set('includeUpdate', f.includeUpdate);
  set('continuous', f.continuous);
  set('defaultSchedule', num(f.defaultSchedule));
  if (f.direction === 'Outbound') {
    const previous = (base.delivery ?? {}) as Record<string, unknown>;
    const delivery: Record<string, unknown> = { ...previous, mode: f.mode, format: f.format };
    const put = (k: string, v: unknown) => {
      if (v === undefined) delete delivery[k];
      else delivery[k] = v;
    };
    put('url', opt(f.url));
    put('template', opt(f.template));
    put('timeoutMs', num(f.timeoutMs));
    const steps = f.retrySchedule.trim();
    if (steps && !/^\d+(\s*,\s*\d+)*$/.test(steps)) {
      local.delivery = 'delivery.retrySchedule: give seconds separated by commas, e.g. 60, 600, 3600.';
    }
    put('retrySchedule', steps ? steps.split(',').map((s) => Number(s.trim())) : undefined);
    const headers = headersOf(f.headers);
    if (typeof headers === 'string') {
      local.delivery = `delivery.headers: "${headers}" is not "Name: value".`;
      put('headers', undefined);
    } else put('headers', headers);
    set('delivery', delivery);
    delete draft.inbound;
  } else {
    delete draft.delivery;
    set('inbound', opt(f.inboundTemplate) ? { template: f.inboundTemplate } : undefined);
  }
  return { draft, local };
}

function formOf(i: IntegrationDetail): Form {
  const d = i.delivery;
  return {
    ...EMPTY,
    name: i.name,
    direction: i.direction,
    entity: i.entity,
    consentType: i.consentType,
    active: i.active,
    receiver: i.receiver ?? '',
    sender: i.sender ?? '',
    version: i.version ?? '',
    filter: i.filter ?? '',
    notes: i.notes ?? '',
    maxAttempts: String(i.maxAttempts),
    parallel: i.parallel,
    batchSize: String(i.batchSize),
    managed: i.managed,
    clientScheduleEditable: i.clientScheduleEditable,
    includeUpdate: i.includeUpdate,
    continuous: i.continuous,
    defaultSchedule: i.defaultSchedule == null ? '' : String(i.defaultSchedule),
    mode: d?.mode ?? 'push',
    url: d?.url ?? '',
    format: d?.format ?? 'raw',
    template: d?.template ?? '',
    timeoutMs: d?.timeoutMs === undefined ? '' : String(d.timeoutMs),
    retrySchedule: d?.retrySchedule?.join(', ') ?? '',
    headers: Object.entries(d?.headers ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    inboundTemplate: i.inbound?.template ?? '',
  };
}

/** What the API takes back of an integration it showed: its own fields only. */
const editable = (i: IntegrationDetail): Record<string, unknown> =>
  Object.fromEntries(Object.entries(i).filter(([k]) => INTEGRATION_FIELDS.includes(k)));

export function IntegrationPage({ id }: { id: string }) {
  const { client } = useSession();
  const [created, setCreated] = useState<CreatedIntegration | undefined>();
  if (id === 'new') {
    return (
      <>
        <PageHeader title="New integration">
          <Link to="/integrations" class="button secondary">
            Back to integrations
          </Link>
        </PageHeader>
        <IntegrationForm
          initial={EMPTY}
          base={{}}
          submitLabel="Create integration"
          onSubmit={async (draft) => {
            const made = await ok(client.POST('/admin/integrations', { body: draft as never }));
            forgetIntegrations();
            setCreated(made);
            navigate(`/integrations/${encodeURIComponent(made.id)}`);
          }}
        />
      </>
    );
  }
  return <ExistingIntegration id={id} created={created?.id === id ? created : undefined} />;
}

function ExistingIntegration({ id, created }: { id: string; created: CreatedIntegration | undefined }) {
  const { client } = useSession();
  const integration = useLoad(
    () => ok(client.GET('/admin/integrations/{id}', { params: { path: { id } } })),
    id,
  );
  const [saved, setSaved] = useState<string | undefined>();
  const i = integration.data;
  return (
    <>
      <PageHeader title={i ? i.name : 'Integration'}>
        <Link to="/integrations" class="button secondary">
          Back to integrations
        </Link>
      </PageHeader>
      {created ? (
        <SecretOnce
          label="Signing secret of the new integration"
          value={created.secret}
          note="Shown only now: give it to the receiver, who checks each delivery's Standard Webhooks signature with it."
        />
      ) : null}
      {integration.state === 'loading' ? (
        <Loading what="the integration" rows={8} />
      ) : integration.state === 'failed' && !i ? (
        <Problem error={integration.error} retry={integration.reload} />
      ) : i ? (
        <>
          <p class="muted small">
            <span class="mono">{i.id}</span> · created <Time iso={i.createdAt} /> · changed{' '}
            <Time iso={i.updatedAt} />
            {i.nextRunAt ? (
              <>
                {' '}
                · next run <Time iso={i.nextRunAt} />
              </>
            ) : null}
          </p>
          {i.health === 'disabled' ? (
            <section class="card problem" aria-labelledby="health-title">
              <h2 id="health-title">
                <StatusBadge status="disabled" /> Disabled for failing since <Time iso={i.disabledAt} />
              </h2>
              <p>{i.disabledReason}</p>
              <p class="small">
                Its messages are still accepted; their deliveries wait as held. Enabling it sends them in the
                order they arrived.
              </p>
              <button
                type="button"
                onClick={async () => {
                  try {
                    await ok(client.POST('/admin/integrations/{id}/enable', { params: { path: { id } } }));
                    setSaved('Enabled: the held deliveries are on their way, oldest first.');
                    integration.reload();
                  } catch (error) {
                    setSaved(explain(error).message);
                  }
                }}
              >
                Enable it
              </button>
            </section>
          ) : null}
          {saved ? (
            <p class="notice" role="status">
              {saved}
            </p>
          ) : null}
          <IntegrationForm
            key={i.updatedAt}
            initial={formOf(i)}
            base={editable(i)}
            submitLabel="Save changes"
            onSubmit={async (draft) => {
              const before = editable(i);
              const patch: Record<string, unknown> = {};
              for (const k of new Set([...Object.keys(before), ...Object.keys(draft)])) {
                if (JSON.stringify(before[k]) !== JSON.stringify(draft[k])) patch[k] = draft[k] ?? null;
              }
              if (Object.keys(patch).length === 0) {
                setSaved('Nothing changed.');
                return;
              }
              await ok(
                client.PATCH('/admin/integrations/{id}', { params: { path: { id } }, body: patch as never }),
              );
              forgetIntegrations();
              setSaved(`Saved: ${Object.keys(patch).join(', ')}.`);
              integration.reload();
            }}
          />
          {i.delivery && i.delivery.mode !== 'pull' ? (
            <RotateSecret id={id} previousUntil={i.previousSecretValidUntil} />
          ) : null}
          <IntegrationEnablements id={id} managed={i.managed} />
        </>
      ) : null}
    </>
  );
}

function IntegrationForm({
  initial,
  base,
  submitLabel,
  onSubmit,
}: {
  initial: Form;
  base: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (draft: Record<string, unknown>) => Promise<void>;
}) {
  const [form, setForm] = useState(initial);
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<string | undefined>();
  const { draft, local } = useMemo(() => toDraft(form, base), [form, base]);
  const problems: Problems = useMemo(() => ({ ...integrationProblems(draft), ...local }), [draft, local]);
  const shown = touched ? problems : {};
  const count = Object.keys(problems).length;
  const set = <K extends keyof Form>(k: K, v: Form[K]) => {
    setForm((f) => ({ ...f, [k]: v }));
    setTouched(true);
    setAnswer(undefined);
  };

  const error = (field: string) =>
    shown[field] ? (
      <span class="field-error" id={`err-${field}`}>
        {shown[field]}
      </span>
    ) : null;
  const described = (field: string) =>
    shown[field] ? { 'aria-invalid': true, 'aria-describedby': `err-${field}` } : {};
  const text = (
    k: keyof Form,
    label: string,
    field: string = k,
    attrs: InputHTMLAttributes<HTMLInputElement> = {},
  ) => (
    <label>
      {label}
      <input
        name={k}
        value={form[k] as string}
        spellcheck={false}
        onInput={(e) => set(k, e.currentTarget.value)}
        {...described(field)}
        {...attrs}
      />
    </label>
  );
  const area = (k: keyof Form, label: string, field: string = k, hint = '') => (
    <label class="span">
      {label}
      {hint ? <span class="hint">{hint}</span> : null}
      <textarea
        name={k}
        rows={3}
        value={form[k] as string}
        spellcheck={false}
        onInput={(e) => set(k, e.currentTarget.value)}
        {...described(field)}
      />
    </label>
  );
  const check = (k: keyof Form, label: string, field: string = k) => (
    <label class="inline">
      <input
        type="checkbox"
        name={k}
        checked={form[k] as boolean}
        onChange={(e) => set(k, e.currentTarget.checked)}
        {...described(field)}
      />{' '}
      {label}
    </label>
  );
  const choose = (k: keyof Form, label: string, options: readonly string[], field: string = k) => (
    <label>
      {label}
      <select
        name={k}
        value={form[k] as string}
        onChange={(e) => set(k, e.currentTarget.value)}
        {...described(field)}
      >
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (count > 0) {
      const first = Object.keys(problems)[0];
      document.querySelector<HTMLElement>(`[aria-describedby="err-${first}"]`)?.focus();
      return;
    }
    setBusy(true);
    try {
      await onSubmit(draft);
    } catch (error) {
      setAnswer(explain(error).message);
    } finally {
      setBusy(false);
    }
  };

  const outbound = form.direction === 'Outbound';
  return (
    <form class="card integration-form" onSubmit={submit} noValidate aria-label="Integration">
      <fieldset>
        <legend>What it carries</legend>
        {text('name', 'Name')}
        {error('name')}
        {choose('direction', 'Direction', ['Outbound', 'Inbound'])}
        {error('direction')}
        {text('entity', 'Entity (document type, * for any)')}
        {error('entity')}
        {choose('consentType', 'Consent', ['None', 'Operator', 'Receiver'])}
        {error('consentType')}
        {text('receiver', 'Receiver (partner code)')}
        {error('receiver')}
        {text('sender', 'Sender (empty: any)')}
        {error('sender')}
        {text('version', 'Version (empty: any)')}
        {error('version')}
        {area('filter', 'Filter (JSONata; false: not sent)', 'filter')}
        {error('filter')}
      </fieldset>
      {outbound ? (
        <fieldset>
          <legend>Delivery</legend>
          {choose('mode', 'Mode', ['push', 'notify', 'pull'], 'delivery')}
          {choose('format', 'Format', ['raw', 'json', 'xml'], 'delivery')}
          {text('url', 'URL (push and notify)', 'delivery', { type: 'url' })}
          {text('timeoutMs', 'Timeout (ms, ≤ 30000)', 'delivery', { inputMode: 'numeric' })}
          {text('retrySchedule', 'Retry schedule (seconds before attempt 2, 3, …)', 'delivery')}
          {area('template', 'Template (JSONata)', 'delivery')}
          {area('headers', 'Headers', 'delivery', 'One "Name: value" a line')}
          {error('delivery')}
        </fieldset>
      ) : (
        <fieldset>
          <legend>Rows</legend>
          {area('inboundTemplate', 'Inbound template (JSONata to rows, each with an id)', 'inbound')}
          {error('inbound')}
        </fieldset>
      )}
      <fieldset>
        <legend>Behaviour</legend>
        {check('active', 'Active')}
        {error('active')}
        {check('parallel', 'Parallel (off: one at a time, in order)')}
        {check('managed', 'Managed (each client enables it for itself)')}
        {check('clientScheduleEditable', 'Clients may set their own schedule')}
        {check('includeUpdate', 'Include updates (rows sent again when they change)')}
        {error('includeUpdate')}
        {check('continuous', 'Continuous (re-send still-eligible rows on the schedule)')}
        {error('continuous')}
        {text('maxAttempts', 'Attempts (1–20)', 'maxAttempts', { inputMode: 'numeric' })}
        {error('maxAttempts')}
        {text('batchSize', 'In flight at once (1–1000)', 'batchSize', { inputMode: 'numeric' })}
        {error('batchSize')}
        {text('defaultSchedule', 'Schedule (minutes between runs; empty: at once)', 'defaultSchedule', {
          inputMode: 'numeric',
        })}
        {error('defaultSchedule')}
        {area('notes', 'Notes')}
        {error('notes')}
      </fieldset>
      {error('_')}
      <div class="form-actions">
        <button type="submit" disabled={busy} aria-describedby="form-state">
          {busy ? 'Sending…' : submitLabel}
        </button>
        <span id="form-state" class={touched && count > 0 ? 'field-error' : 'muted'} aria-live="polite">
          {touched && count > 0
            ? `${count} ${count === 1 ? 'rule is' : 'rules are'} broken: fix ${count === 1 ? 'it' : 'them'} first.`
            : touched
              ? 'Every rule holds.'
              : ''}
        </span>
      </div>
      {answer ? (
        <p class="problem" role="alert">
          The hub refused it: {answer}
        </p>
      ) : null}
    </form>
  );
}

const OVERLAPS = [
  ['0', 'at once'],
  ['3600', 'for an hour'],
  ['86400', 'for a day (default)'],
  ['604800', 'for a week'],
] as const;

function RotateSecret({ id, previousUntil }: { id: string; previousUntil: string | undefined }) {
  const { client } = useSession();
  const [overlap, setOverlap] = useState('86400');
  const [state, setState] = useState<
    { s: 'idle' } | { s: 'busy' } | { s: 'done'; r: Rotated } | { s: 'failed'; m: string }
  >({ s: 'idle' });
  const rotate = async () => {
    setState({ s: 'busy' });
    try {
      const r = await ok(
        client.POST('/admin/integrations/{id}/rotate-secret', {
          params: { path: { id } },
          body: { overlapSeconds: Number(overlap) },
        }),
      );
      setState({ s: 'done', r });
    } catch (error) {
      setState({ s: 'failed', m: explain(error).message });
    }
  };
  return (
    <section class="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Signing secret</h2>
      {previousUntil ? (
        <p>
          The previous secret also signs until <Time iso={previousUntil} />.
        </p>
      ) : null}
      <div class="row">
        <label>
          The old secret keeps signing
          <select value={overlap} onChange={(e) => setOverlap(e.currentTarget.value)} name="overlap">
            {OVERLAPS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={rotate} disabled={state.s === 'busy'}>
          {state.s === 'busy' ? 'Rotating…' : 'Rotate secret'}
        </button>
      </div>
      {state.s === 'done' ? (
        <SecretOnce
          label="New signing secret"
          value={state.r.secret}
          note={`Shown only now. Both secrets sign until ${new Date(state.r.previousValidUntil).toLocaleString()}: give the receiver the new one before then.`}
        />
      ) : null}
      {state.s === 'failed' ? (
        <p class="problem" role="alert">
          {state.m}
        </p>
      ) : null}
    </section>
  );
}

function IntegrationEnablements({ id, managed }: { id: string; managed: boolean }) {
  const { client } = useSession();
  const list = useLoad(
    () => ok(client.GET('/admin/enablements', { params: { query: { integrationId: id } } })),
    `enablements-${id}`,
  );
  if (!managed) return null;
  return (
    <section class="card" aria-labelledby="enablements-title">
      <h2 id="enablements-title">Enablements</h2>
      {list.state === 'loading' ? (
        <Loading what="enablements" rows={2} />
      ) : list.state === 'failed' ? (
        <Problem error={list.error} retry={list.reload} />
      ) : list.data.enablements.length === 0 ? (
        <Empty>No client has enabled it yet.</Empty>
      ) : (
        <ul class="plain">
          {list.data.enablements.map((e) => (
            <li key={e.id}>
              {e.partner} <StatusBadge status={e.status} /> <span class="muted small">since</span>{' '}
              <Time iso={e.createdAt} />
              {e.status === 'pending_consent' ? (
                <>
                  {' '}
                  · <Link to="/consent">decide in the consent queue</Link>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
