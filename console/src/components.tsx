import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { explain } from './api.js';
import { fromNow, localTime, PREVIEW_CHARS, pretty, utcTitle } from './format.js';
import { onLinkClick } from './router.js';
import { useSession } from './session-context.js';

export function Link({
  to,
  children,
  ...rest
}: {
  to: string;
  children: ComponentChildren;
  class?: string;
  'aria-current'?: 'page' | undefined;
  'aria-label'?: string;
}) {
  return (
    <a href={`/console${to}`} onClick={(e) => onLinkClick(e, to)} {...rest}>
      {children}
    </a>
  );
}

/** An instant in the operator's zone, with the UTC instant on hover. */
export function Time({ iso, relative = false }: { iso: string | undefined; relative?: boolean }) {
  if (!iso) return <span class="muted">—</span>;
  return (
    <time dateTime={iso} title={utcTitle(iso)}>
      {relative ? fromNow(iso) : localTime(iso)}
    </time>
  );
}

export function Loading({ what, rows = 3 }: { what: string; rows?: number }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="visually-hidden">Loading {what}…</span>
      {Array.from({ length: rows }, (_, i) => (
        <div class="skeleton" key={i} aria-hidden="true" />
      ))}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** An error that says what to do; a refused admin key offers to sign in again. */
export function Problem({ error, retry }: { error: unknown; retry?: () => void }) {
  const session = useSession();
  const { message, signIn } = explain(error);
  return (
    <div class="problem" role="alert">
      <p>{message}</p>
      <div class="actions">
        {signIn ? (
          <button type="button" onClick={() => session.signOut()}>
            Enter the admin key again
          </button>
        ) : null}
        {retry && !signIn ? (
          <button type="button" onClick={retry}>
            Try again
          </button>
        ) : null}
      </div>
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.replace(/[^a-z_]/g, '')}`}>{status.replace('_', ' ')}</span>;
}

/** A secret shown once, with a copy button; it is never put anywhere else. */
export function SecretOnce({ label, value, note }: { label: string; value: string; note: string }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.select(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      field.current?.select();
      setCopied('failed');
    }
  };
  return (
    <section class="secret" aria-label={label}>
      <label>
        {label}
        <span class="secret-row">
          <input ref={field} readOnly value={value} spellcheck={false} autocomplete="off" data-secret />
          <button type="button" onClick={copy}>
            Copy
          </button>
        </span>
      </label>
      <p class="hint" aria-live="polite">
        {copied === 'yes'
          ? 'Copied to the clipboard. '
          : copied === 'failed'
            ? 'The browser did not allow copying: the text is selected, press Ctrl+C (⌘C). '
            : ''}
        {note}
      </p>
    </section>
  );
}

/** A document or an answer, pretty-printed, cut when large. */
export function Preview({
  body,
  contentType,
  label,
  truncatedAtSource = false,
}: {
  body: string;
  contentType?: string | undefined;
  label: string;
  truncatedAtSource?: boolean;
}) {
  const [all, setAll] = useState(false);
  const { text, kind } = pretty(body, contentType);
  const cut = !all && text.length > PREVIEW_CHARS;
  return (
    <figure class="preview">
      <figcaption>
        {label}{' '}
        <span class="muted">
          ({kind.toUpperCase()}
          {contentType ? `, ${contentType}` : ''})
        </span>
      </figcaption>
      <pre>{cut ? text.slice(0, PREVIEW_CHARS) : text}</pre>
      {cut ? (
        <p class="hint">
          Showing the first {PREVIEW_CHARS.toLocaleString()} of {text.length.toLocaleString()} characters.{' '}
          <button type="button" class="link" onClick={() => setAll(true)}>
            Show everything
          </button>
        </p>
      ) : null}
      {truncatedAtSource ? (
        <p class="hint">The hub keeps only the start of the answer; this is all of it that was kept.</p>
      ) : null}
    </figure>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Crossdock console`;
  }, [title]);
  return (
    <header class="page-header">
      <h1 tabIndex={-1} id="page-title">
        {title}
      </h1>
      {children ? <div class="page-actions">{children}</div> : null}
    </header>
  );
}
