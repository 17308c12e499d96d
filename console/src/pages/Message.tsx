import { useEffect, useState } from 'preact/hooks';
import { type Delivery, explain, type MessageView, ok } from '../api.js';
import { Empty, Link, Loading, PageHeader, Preview, Problem, StatusBadge, Time } from '../components.js';
import { useLoad } from '../data.js';
import { bytes, duration } from '../format.js';
import { integrationsOf, nameOf } from '../integrations-cache.js';
import { withQuery } from '../router.js';
import { useSession } from '../session-context.js';

const UNFINISHED = new Set(['queued', 'retrying']);

/** One message: its envelope, every delivery with its attempts and the partner's answer, and retry. */
export function MessagePage({ id }: { id: string }) {
  const { client } = useSession();
  const [watching, setWatching] = useState(false);
  const message = useLoad(
    () => ok(client.GET('/admin/messages/{id}', { params: { path: { id } } })),
    id,
    watching ? 2000 : 10_000,
  );
  const integrations = useLoad(() => integrationsOf(client), 'integrations');
  const [retry, setRetry] = useState<{ state: 'idle' | 'busy' } | { state: 'done' | 'failed'; text: string }>(
    {
      state: 'idle',
    },
  );
  const m = message.data;
  const settled = m !== undefined && !m.deliveries.some((d) => UNFINISHED.has(d.status));
  useEffect(() => {
    if (settled) setWatching(false);
  }, [settled]);

  const doRetry = async () => {
    setRetry({ state: 'busy' });
    try {
      const { retried } = await ok(client.POST('/admin/messages/{id}/retry', { params: { path: { id } } }));
      setRetry({
        state: 'done',
        text:
          retried.length === 0
            ? 'Nothing to retry: no delivery of this message has failed.'
            : `Started again from attempt 1: ${retried.map((i) => nameOf(integrations.data, i)).join(', ')}. This page follows it.`,
      });
      setWatching(true);
      message.reload();
    } catch (error) {
      setRetry({ state: 'failed', text: explain(error).message });
    }
  };
  const failed = m?.deliveries.filter((d) => d.status === 'failed').length ?? 0;

  return (
    <>
      <PageHeader title={`Message ${id}`}>
        <Link to="/messages" class="button secondary">
          Back to messages
        </Link>
        <button type="button" onClick={doRetry} disabled={!m || retry.state === 'busy' || failed === 0}>
          {retry.state === 'busy' ? 'Retrying…' : failed > 0 ? `Retry ${failed} failed` : 'Retry'}
        </button>
      </PageHeader>
      {retry.state === 'done' || retry.state === 'failed' ? (
        <p class={retry.state === 'done' ? 'notice' : 'problem'} role="status">
          {retry.text}
        </p>
      ) : null}
      {message.state === 'loading' ? (
        <Loading what="the message" rows={6} />
      ) : message.state === 'failed' && !m ? (
        <Problem error={message.error} retry={message.reload} />
      ) : m ? (
        <>
          <Envelope m={m} />
          <DocumentCard m={m} />
          <section aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">Deliveries</h2>
            {m.deliveries.length === 0 ? (
              <Empty>No integration routed this message, so nothing was sent.</Empty>
            ) : (
              m.deliveries.map((d) => (
                <DeliveryCard key={d.integrationId} d={d} name={nameOf(integrations.data, d.integrationId)} />
              ))
            )}
          </section>
        </>
      ) : null}
    </>
  );
}

function Envelope({ m }: { m: MessageView }) {
  return (
    <section aria-labelledby="envelope-title" class="card">
      <h2 id="envelope-title">
        Envelope <StatusBadge status={m.status} />
      </h2>
      <dl class="fields">
        <dt>Received</dt>
        <dd>
          <Time iso={m.receivedAt} />
        </dd>
        <dt>Sender</dt>
        <dd>
          <Link to={withQuery('/messages', { partner: m.sender })}>{m.sender}</Link>
        </dd>
        <dt>Receiver</dt>
        <dd>
          <Link to={withQuery('/messages', { partner: m.receiver })}>{m.receiver}</Link>
        </dd>
        <dt>Document type</dt>
        <dd>
          {m.doctype}
          {m.version ? ` (version ${m.version})` : ''}
        </dd>
        <dt>Document</dt>
        <dd>
          {bytes(m.size)}, {m.contentType}
        </dd>
        <dt>SHA-256</dt>
        <dd class="mono wrap">{m.sha256}</dd>
        {m.source ? (
          <>
            <dt>Sent for row</dt>
            <dd>
              {m.source.entity} / {m.source.id}, version {m.source.version}
            </dd>
          </>
        ) : null}
        {m.note ? (
          <>
            <dt>Note</dt>
            <dd>{m.note}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** Documents up to this size are fetched for the preview and the download (the API redirects larger ones to S3). */
const PREVIEW_MAX_BYTES = 4 * 1024 * 1024;

/** The document itself (GET /admin/messages/{id}/payload): pretty-printed when JSON or XML, and a download. */
function DocumentCard({ m }: { m: MessageView }) {
  const { client } = useSession();
  const small = m.size <= PREVIEW_MAX_BYTES;
  const doc = useLoad(async () => {
    if (!small) return undefined;
    const r = await client.GET('/admin/messages/{id}/payload', {
      params: { path: { id: m.id } },
      parseAs: 'blob',
    });
    if (!r.response.ok) throw new Error(`The hub answered ${r.response.status} for the document.`);
    return r.data as Blob;
  }, `payload-${m.id}`);
  const [href, setHref] = useState<string | undefined>();
  const [text, setText] = useState<string | undefined>();
  useEffect(() => {
    const blob = doc.data;
    if (!blob) return;
    const url = URL.createObjectURL(blob);
    setHref(url);
    blob.text().then(setText, () => setText(undefined));
    return () => URL.revokeObjectURL(url);
  }, [doc.data]);
  return (
    <section aria-labelledby="document-title" class="card">
      <h2 id="document-title">Document</h2>
      {!small ? (
        <p>
          {bytes(m.size)}: too large to show here. Read it with the API (GET /admin/messages/{m.id}/payload
          answers a presigned S3 link).
        </p>
      ) : doc.state === 'loading' ? (
        <Loading what="the document" rows={3} />
      ) : doc.state === 'failed' ? (
        <Problem error={doc.error} retry={doc.reload} />
      ) : (
        <>
          {text === undefined ? null : (
            <Preview body={text} contentType={m.contentType} label="The document" />
          )}
          {href ? (
            <p>
              <a href={href} download={`${m.id}${extensionOf(m.contentType)}`}>
                Download the document ({bytes(m.size)})
              </a>
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

const extensionOf = (contentType: string) =>
  /json/.test(contentType)
    ? '.json'
    : /xml/.test(contentType)
      ? '.xml'
      : /text/.test(contentType)
        ? '.txt'
        : '';

function DeliveryCard({ d, name }: { d: Delivery; name: string }) {
  return (
    <article class="card delivery" aria-label={`Delivery to ${name}`}>
      <h3>
        <Link to={`/integrations/${encodeURIComponent(d.integrationId)}`}>{name}</Link>{' '}
        <StatusBadge status={d.status} /> <span class="muted small">{d.mode}</span>
      </h3>
      {d.error ? <p class="problem-text">Why: {d.error}</p> : null}
      {d.nextAttemptAt ? (
        <p>
          Next attempt <Time iso={d.nextAttemptAt} relative /> (<Time iso={d.nextAttemptAt} />)
        </p>
      ) : null}
      {d.attempts.length === 0 ? (
        <Empty>No attempt yet.</Empty>
      ) : (
        <ol class="timeline" aria-label={`Attempts of the delivery to ${name}`}>
          {d.attempts.map((a) => {
            const good = a.statusCode !== undefined && a.statusCode >= 200 && a.statusCode < 300 && !a.error;
            return (
              <li key={`${a.round ?? 0}-${a.n}`} class={good ? 'good' : 'bad'}>
                <span class="attempt-n">
                  Attempt {a.n}
                  {a.round ? <span class="muted"> (retry {a.round})</span> : null}
                </span>{' '}
                <Time iso={a.at} /> · <strong>{a.statusCode ?? 'no answer'}</strong> ·{' '}
                {duration(a.durationMs)}
                {a.error ? <div class="problem-text">{a.error}</div> : null}
              </li>
            );
          })}
        </ol>
      )}
      {d.response ? (
        <Preview
          label={`The partner's answer (${d.response.statusCode})`}
          body={d.response.body}
          contentType={d.response.contentType}
          truncatedAtSource={d.response.truncated}
        />
      ) : null}
    </article>
  );
}
