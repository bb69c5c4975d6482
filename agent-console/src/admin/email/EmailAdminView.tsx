import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, getCsrfToken } from '../../api';
import { useI18n } from '../../i18n/i18n';
import type { CaseDetail } from '../../types';
import { href } from '../../ui/router';
import { useEmailText, type EmailMessageKey } from './messages';
import type { Healthz, MailboxDbHealth, MailboxLiveHealth, MailboxRow, OutboxItem, OutboxView, QuarantineItem, RetryResult } from './types';

type Role = 'agent' | 'supervisor' | 'admin';
type T = ReturnType<typeof useEmailText>;

/** /healthz sits outside /api/v1 and answers 503 (with the same body) when the database is down. */
async function fetchHealth(): Promise<Healthz> {
  const res = await fetch('/healthz', { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
  return (await res.json()) as Healthz;
}

/** The key the intake names a mailbox by (cursor and quarantine rows): `user@host:port/folder`. */
const mailboxKey = (m: Pick<MailboxRow, 'username' | 'host' | 'port' | 'folder'>) => `${m.username}@${m.host}:${m.port}/${m.folder}`.slice(0, 255);

/** The email channel's screen: mailboxes and their live state, the quarantine, the `.eml` outbox. */
export function EmailAdminView({ role }: { role: Role }) {
  const t = useEmailText();
  if (role === 'agent') {
    return (
      <section aria-labelledby="em-title">
        <h1 id="em-title">{t('em.title')}</h1>
        <p className="error" role="alert" data-testid="email-forbidden">
          {t('em.forbidden')}
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="em-title" className="email-admin">
      <h1 id="em-title" tabIndex={-1}>
        {t('em.title')}
      </h1>
      {role !== 'admin' && <p className="muted">{t('em.readOnly')}</p>}
      <MailboxesSection isAdmin={role === 'admin'} />
      <QuarantineSection isAdmin={role === 'admin'} />
      <OutboxSection />
    </section>
  );
}

/* ───────────────────────────── Mailboxes ───────────────────────────── */

type Shown = {
  key: string;
  name: string;
  row: MailboxRow | null;
  db: MailboxDbHealth | null;
  live: MailboxLiveHealth | null;
};

interface StateView {
  kind: 'connected' | 'connecting' | 'error' | 'standby' | 'watched' | 'unwatched' | 'inactive' | 'unreadable';
  label: string;
  hint: string | null;
  detail: string | null;
}

/** What an operator needs to know about a mailbox, from the live watcher when this process runs it, else the database view. */
function mailboxState(m: Shown, t: T): StateView {
  if (m.row && !m.row.active) return { kind: 'inactive', label: t('em.state.inactive'), hint: null, detail: null };
  const live = m.live;
  if (live) {
    if (!live.leader) return { kind: 'standby', label: t('em.state.standby'), hint: t('em.state.standbyHint', { holder: m.db?.watchedBy ?? t('em.none') }), detail: null };
    if (live.connected) return { kind: 'connected', label: live.idling ? t('em.state.idle') : t('em.state.connected'), hint: null, detail: null };
    if (live.lastError) return { kind: 'error', label: `${t('em.state.error')} — ${t('em.state.reconnecting')}`, hint: t('em.state.errorHint', { n: live.reconnects }), detail: live.lastError };
    return { kind: 'connecting', label: t('em.state.connecting'), hint: null, detail: null };
  }
  // A table row whose password cannot be decrypted is left out of the watched mailboxes.
  if (!m.db) return { kind: 'unreadable', label: `${t('em.col.password')}: ${t('em.state.passwordUnreadable')}`, hint: t('em.state.passwordHint'), detail: null };
  if (m.db.watchedBy) return { kind: 'watched', label: t('em.state.watched'), hint: t('em.state.standbyHint', { holder: m.db.watchedBy }), detail: null };
  return { kind: 'unwatched', label: t('em.state.unwatched'), hint: t('em.state.unwatchedHint'), detail: null };
}

function MailboxesSection({ isAdmin }: { isAdmin: boolean }) {
  const t = useEmailText();
  const { dateTime } = useI18n();
  const qc = useQueryClient();
  const health = useQuery({ queryKey: ['healthz'], queryFn: fetchHealth, refetchInterval: 10_000 });
  const rows = useQuery({ queryKey: ['admin-mailboxes'], queryFn: () => api<{ items: MailboxRow[] }>('/admin/mailboxes'), enabled: isAdmin });
  const [editing, setEditing] = useState<MailboxRow | 'new' | null>(null);
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null);
  const statusRef = useRef<HTMLParagraphElement>(null);
  const addRef = useRef<HTMLButtonElement>(null);

  const dbHealth = health.data?.channels.email?.mailboxes ?? [];
  const liveOf = (name: string) => (health.data?.channels[`email:${name}`] as MailboxLiveHealth | undefined) ?? null;
  const shown: Shown[] = [];
  for (const r of rows.data?.items ?? []) {
    const db = r.active ? (dbHealth.find((d) => d.name === r.name) ?? null) : null;
    shown.push({ key: `row-${r.id}`, name: r.name, row: r, db, live: r.active ? liveOf(r.name) : null });
  }
  // Mailboxes of IMAP_URL (and, for supervisors, every watched one) are known from /healthz only.
  for (const d of dbHealth) if (!shown.some((s) => s.db === d)) shown.push({ key: `env-${d.name}`, name: d.name, row: null, db: d, live: liveOf(d.name) });

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['healthz'] });
    void qc.invalidateQueries({ queryKey: ['admin-mailboxes'] });
  };
  const announce = (text: string, error = false) => {
    setStatus({ text, error });
    requestAnimationFrame(() => statusRef.current?.focus());
  };
  const setActive = async (m: MailboxRow, active: boolean) => {
    try {
      if (active) await api(`/admin/mailboxes/${m.id}`, { method: 'PATCH', body: { active: true } });
      else await api(`/admin/mailboxes/${m.id}`, { method: 'DELETE' });
      announce(t(active ? 'em.activated' : 'em.deactivated', { name: m.name }));
      refresh();
    } catch (err) {
      announce((err as Error).message, true);
    }
  };
  const loadError = health.error ?? rows.error;

  return (
    <section aria-labelledby="em-mailboxes" className="rep-section">
      <div className="list-head">
        <h2 id="em-mailboxes">{t('em.mailboxes')}</h2>
        <button type="button" onClick={refresh}>
          {t('em.refresh')}
        </button>
      </div>
      {loadError && (
        <p className="error" role="alert">
          {t('em.loadFailed', { error: (loadError as Error).message })}
        </p>
      )}
      <p ref={statusRef} tabIndex={-1} role="status" aria-live="polite" className={status?.error ? 'error' : undefined} data-testid="mailbox-status">
        {status?.text}
      </p>
      {health.isSuccess && !shown.length ? (
        <p className="empty">{t('em.noMailboxes')}</p>
      ) : (
        <table className="cases email-table" data-testid="mailboxes">
          <caption className="sr-only">{t('em.mailboxesCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('em.col.name')}</th>
              <th scope="col">{t('em.col.state')}</th>
              <th scope="col">{t('em.col.lastFetch')}</th>
              <th scope="col">{t('em.col.waiting')}</th>
              <th scope="col">{t('em.col.quarantined')}</th>
              <th scope="col">{t('em.col.flags')}</th>
              {isAdmin && <th scope="col">{t('em.col.password')}</th>}
              {isAdmin && <th scope="col">{t('em.col.actions')}</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => {
              const s = mailboxState(m, t);
              return (
                <tr key={m.key} data-testid="mailbox-row" data-state={s.kind}>
                  <th scope="row">
                    {m.name}
                    <br />
                    <small className="muted">{m.row ? `${m.row.username}@${m.row.host}:${m.row.port}/${m.row.folder}` : t('em.source.env')}</small>
                  </th>
                  <td>
                    <span className={`mb-state mb-${s.kind}`}>{s.label}</span>
                    {s.detail && (
                      <>
                        <br />
                        <code className="mb-error">{s.detail}</code>
                      </>
                    )}
                    {s.hint && (
                      <>
                        <br />
                        <small>{s.hint}</small>
                      </>
                    )}
                  </td>
                  <td>{dateTime(m.live?.lastFetchAt ?? m.db?.lastFetchAt ?? null)}</td>
                  <td>{m.live?.leader ? m.live.waiting : t('em.none')}</td>
                  <td>{m.db?.quarantined ?? m.live?.quarantined ?? t('em.none')}</td>
                  <td>{m.db?.flagsPending ?? t('em.none')}</td>
                  {isAdmin && <td>{m.row ? t(m.row.passwordSet ? 'em.pw.set' : 'em.pw.notSet') : t('em.none')}</td>}
                  {isAdmin && (
                    <td>
                      {m.row && (
                        <span className="row-actions">
                          <button type="button" onClick={() => setEditing(m.row)} aria-label={`${t('em.edit')}: ${m.name}`}>
                            {t('em.edit')}
                          </button>
                          <button type="button" onClick={() => void setActive(m.row!, !m.row!.active)} aria-label={`${t(m.row.active ? 'em.deactivate' : 'em.activate')}: ${m.name}`}>
                            {t(m.row.active ? 'em.deactivate' : 'em.activate')}
                          </button>
                        </span>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {isAdmin && !editing && (
        <button type="button" ref={addRef} className="primary" onClick={() => setEditing('new')}>
          {t('em.add')}
        </button>
      )}
      {isAdmin && editing && (
        <MailboxForm
          key={editing === 'new' ? 'new' : editing.id}
          mailbox={editing === 'new' ? null : editing}
          onCancel={() => {
            setEditing(null);
            requestAnimationFrame(() => addRef.current?.focus());
          }}
          onSaved={(m) => {
            setEditing(null);
            announce(t('em.saved', { name: m.name }));
            refresh();
          }}
        />
      )}
    </section>
  );
}

type Field = 'name' | 'host' | 'port' | 'username' | 'folder' | 'processedFolder' | 'password';

/** Add or edit one mailbox of the table; the password is write-only (set / not set, change it). */
function MailboxForm({ mailbox, onCancel, onSaved }: { mailbox: MailboxRow | null; onCancel(): void; onSaved(m: MailboxRow): void }) {
  const t = useEmailText();
  const [f, setF] = useState({
    name: mailbox?.name ?? '',
    host: mailbox?.host ?? '',
    port: String(mailbox?.port ?? 993),
    secure: mailbox?.secure ?? true,
    tlsInsecure: mailbox?.tlsInsecure ?? false,
    username: mailbox?.username ?? '',
    folder: mailbox?.folder ?? 'INBOX',
    processedFolder: mailbox?.processedFolder ?? '',
    password: '',
  });
  const [errors, setErrors] = useState<Partial<Record<Field | 'form', string>>>({});
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  const focusFirstError = () =>
    requestAnimationFrame(() => (formRef.current?.querySelector('[aria-invalid="true"]') as HTMLElement | null)?.focus());

  const validate = (): Partial<Record<Field, string>> => {
    const e: Partial<Record<Field, string>> = {};
    for (const k of ['name', 'host', 'username', 'folder'] as const) if (!f[k].trim()) e[k] = t('em.v.required');
    const port = Number(f.port);
    if (!/^\d+$/.test(f.port.trim()) || port < 1 || port > 65535) e.port = t('em.v.port');
    if (!mailbox && !f.password) e.password = t('em.v.required');
    return e;
  };

  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    const e = validate();
    setErrors(e);
    if (Object.keys(e).length) return focusFirstError();
    const body = {
      name: f.name.trim(),
      host: f.host.trim(),
      port: Number(f.port),
      secure: f.secure,
      tlsInsecure: f.tlsInsecure,
      username: f.username.trim(),
      folder: f.folder.trim(),
      processedFolder: f.processedFolder.trim() || null,
    };
    setBusy(true);
    try {
      let saved: MailboxRow;
      if (!mailbox) saved = await api<MailboxRow>('/admin/mailboxes', { method: 'POST', body: { ...body, password: f.password } });
      else {
        saved = await api<MailboxRow>(`/admin/mailboxes/${mailbox.id}`, { method: 'PATCH', body });
        if (f.password) saved = await api<MailboxRow>(`/admin/mailboxes/${mailbox.id}/password`, { method: 'PUT', body: { password: f.password } });
      }
      onSaved(saved);
    } catch (err) {
      // validation_failed names the field first: "port: Too big…".
      const field = err instanceof ApiError && err.code === 'validation_failed' ? /^([A-Za-z]+)[.:]/.exec(err.message)?.[1] : undefined;
      if (field && ['name', 'host', 'port', 'username', 'folder', 'processedFolder', 'password'].includes(field)) {
        setErrors({ [field]: err instanceof Error ? err.message.replace(/^[A-Za-z.]+:\s*/, '') : String(err) });
        focusFirstError();
      } else setErrors({ form: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };

  const text = (k: Exclude<Field, 'password'>, label: EmailMessageKey, opts: { type?: string; hint?: EmailMessageKey; autoComplete?: string } = {}) => {
    const id = `mb-${k}`;
    const describedBy = [errors[k] ? `${id}-err` : null, opts.hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field">
        <label htmlFor={id}>{t(label)}</label>
        <input
          id={id}
          type={opts.type ?? 'text'}
          inputMode={k === 'port' ? 'numeric' : undefined}
          autoComplete={opts.autoComplete ?? 'off'}
          value={f[k]}
          aria-invalid={errors[k] ? true : undefined}
          aria-describedby={describedBy}
          onChange={(e) => setF({ ...f, [k]: e.target.value })}
        />
        {opts.hint && (
          <small id={`${id}-hint`} className="muted">
            {t(opts.hint)}
          </small>
        )}
        {errors[k] && (
          <span id={`${id}-err`} className="error field-error">
            {errors[k]}
          </span>
        )}
      </div>
    );
  };

  return (
    <form ref={formRef} className="composer mailbox-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="mb-form-title" data-testid="mailbox-form">
      <h3 id="mb-form-title" ref={headingRef} tabIndex={-1}>
        {mailbox ? t('em.form.edit', { name: mailbox.name }) : t('em.form.new')}
      </h3>
      {Object.keys(errors).length > 0 && (
        <p className="error" role="alert">
          {errors.form ?? t('em.v.fix')}
        </p>
      )}
      {text('name', 'em.f.name')}
      {text('host', 'em.f.host')}
      {text('port', 'em.f.port')}
      <div className="field">
        <label className="check">
          <input type="checkbox" checked={f.secure} onChange={(e) => setF({ ...f, secure: e.target.checked })} /> {t('em.f.secure')}
        </label>
        <label className="check">
          <input type="checkbox" checked={f.tlsInsecure} onChange={(e) => setF({ ...f, tlsInsecure: e.target.checked })} /> {t('em.f.tlsInsecure')}
        </label>
      </div>
      {text('username', 'em.f.username', { autoComplete: 'off' })}
      {text('folder', 'em.f.folder')}
      {text('processedFolder', 'em.f.processedFolder', { hint: 'em.f.processedHint' })}
      <div className="field">
        <label htmlFor="mb-password">{t(mailbox ? 'em.f.passwordNew' : 'em.f.password')}</label>
        {mailbox && (
          <small id="mb-password-state" className="muted" data-testid="password-state">
            {t('em.f.passwordState', { state: t(mailbox.passwordSet ? 'em.pw.set' : 'em.pw.notSet') })} {t('em.f.passwordKeep')}
          </small>
        )}
        <input
          id="mb-password"
          type="password"
          autoComplete="new-password"
          value={f.password}
          aria-invalid={errors.password ? true : undefined}
          aria-describedby={[mailbox ? 'mb-password-state' : null, errors.password ? 'mb-password-err' : null].filter(Boolean).join(' ') || undefined}
          onChange={(e) => setF({ ...f, password: e.target.value })}
        />
        {errors.password && (
          <span id="mb-password-err" className="error field-error">
            {errors.password}
          </span>
        )}
      </div>
      {mailbox && <p className="muted">{t('em.keyChange')}</p>}
      <div className="buttons">
        <button type="submit" className="primary" disabled={busy}>
          {t('em.save')}
        </button>{' '}
        <button type="button" onClick={onCancel}>
          {t('em.cancel')}
        </button>
      </div>
    </form>
  );
}

/* ───────────────────────────── Quarantine ───────────────────────────── */

/** The intake's error in plain words; the technical text stays available beside it. */
function plainError(error: string | null, t: T): string {
  const e = error ?? '';
  if (/parse budget|bytes, over/i.test(e)) return t('em.err.budget');
  if (/timed out|time budget|no answer in|timeout/i.test(e)) return t('em.err.timeout');
  if (/ENOENT|no such file/i.test(e)) return t('em.err.missing');
  if (/worker exited|crash/i.test(e)) return t('em.err.crash');
  return t('em.err.other');
}

/**
 * POST …/retry. A retry that failed again answers 422 with the same body as a success (ok: false and the new
 * error), which api() would turn into a bare HTTP error; other errors (403, 404, 400) come as ApiError.
 */
async function postRetry(id: number): Promise<RetryResult> {
  const res = await fetch(`/api/v1/admin/mail-quarantine/${id}/retry`, { method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json', 'X-CSRF-Token': getCsrfToken() } });
  const body = (await res.json().catch(() => ({}))) as Partial<RetryResult> & { error?: string | { code: string; message: string } };
  if (res.ok || (res.status === 422 && body.ok === false)) return body as RetryResult;
  const e = typeof body.error === 'object' ? body.error : null;
  throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status}`);
}

interface RetryOutcome {
  id: number;
  ok: boolean;
  conversationId?: number;
  registrationNumber?: string;
  flagged?: boolean;
  error?: string;
}

function QuarantineSection({ isAdmin }: { isAdmin: boolean }) {
  const t = useEmailText();
  const { dateTime } = useI18n();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['mail-quarantine'], queryFn: () => api<{ items: QuarantineItem[] }>('/admin/mail-quarantine?status=quarantined'), refetchInterval: 30_000 });
  const boxes = useQuery({ queryKey: ['admin-mailboxes'], queryFn: () => api<{ items: MailboxRow[] }>('/admin/mailboxes'), enabled: isAdmin });
  const [busy, setBusy] = useState<number | null>(null);
  const [outcome, setOutcome] = useState<RetryOutcome | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const nameOf = (key: string) => boxes.data?.items.find((m) => mailboxKey(m) === key)?.name ?? key;

  const retry = async (item: QuarantineItem) => {
    setBusy(item.id);
    let result: RetryOutcome;
    try {
      const r = await postRetry(item.id);
      if (r.ok) {
        const c = await api<CaseDetail>(`/conversations/${r.conversationId}`).catch(() => null);
        result = { id: item.id, ok: true, conversationId: r.conversationId, registrationNumber: c?.registrationNumber ?? `#${r.conversationId}`, flagged: r.flagged };
      } else result = { id: item.id, ok: false, error: r.error };
    } catch (err) {
      // A retry that failed again answers 422 with the new error.
      result = { id: item.id, ok: false, error: (err as Error).message };
    }
    setOutcome(result);
    setBusy(null);
    void qc.invalidateQueries({ queryKey: ['mail-quarantine'] });
    void qc.invalidateQueries({ queryKey: ['healthz'] });
  };
  // The result takes the focus (the row retried may be gone from the list) and is read out.
  useEffect(() => {
    if (outcome) resultRef.current?.focus();
  }, [outcome]);

  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby="em-quarantine" className="rep-section">
      <h2 id="em-quarantine">{t('em.quarantine')}</h2>
      <p className="muted">{t('em.qIntro')}</p>
      <div ref={resultRef} tabIndex={-1} role="status" aria-live="polite" data-testid="retry-result" className={outcome ? (outcome.ok ? 'notice retry-ok' : 'notice retry-failed') : undefined}>
        {outcome?.ok && (
          <>
            {t('em.retry.ok', { id: outcome.id, n: outcome.registrationNumber! })}{' '}
            <a href={href({ name: 'case', id: outcome.conversationId! })}>{t('em.retry.open', { n: outcome.registrationNumber! })}</a>.{' '}
            {t(outcome.flagged ? 'em.retry.flagged' : 'em.retry.flagPending')}
          </>
        )}
        {outcome && !outcome.ok && <>{t('em.retry.failed', { id: outcome.id, error: `${plainError(outcome.error ?? null, t)} (${outcome.error})` })}</>}
      </div>
      {list.error && (
        <p className="error" role="alert">
          {t('em.loadFailed', { error: (list.error as Error).message })}
        </p>
      )}
      {list.isSuccess && !items.length ? (
        <p className="empty" data-testid="quarantine-empty">
          {t('em.qEmpty')}
        </p>
      ) : (
        <table className="cases email-table" data-testid="quarantine">
          <caption className="sr-only">{t('em.qCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('em.q.mailbox')}</th>
              <th scope="col">{t('em.q.received')}</th>
              <th scope="col">{t('em.q.message')}</th>
              <th scope="col">{t('em.q.attempts')}</th>
              <th scope="col">{t('em.q.error')}</th>
              <th scope="col">{t('em.q.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((q) => (
              <tr key={q.id} data-testid="quarantine-row" data-id={q.id}>
                <td>{nameOf(q.mailbox)}</td>
                <td>{dateTime(q.createdAt)}</td>
                <th scope="row">
                  <span>{q.from ?? t('em.q.unknownSender')}</span>
                  <br />
                  <span className={q.subject ? undefined : 'muted'}>{q.subject ?? t('em.q.unknownSubject')}</span>
                  <br />
                  <small className="muted">
                    #{q.id} · {t('em.q.size', { kb: Math.max(1, Math.round(q.size / 1024)) })}
                  </small>
                </th>
                <td>{q.attempts}</td>
                <td>
                  <span className="q-plain">{plainError(q.error, t)}</span>
                  {q.error && (
                    <details>
                      <summary>{t('em.q.technical')}</summary>
                      <code className="q-error">{q.error}</code>
                    </details>
                  )}
                </td>
                <td>
                  <span className="row-actions">
                    <button type="button" onClick={() => void retry(q)} disabled={busy !== null} aria-label={`${t('em.retry')}: #${q.id}`}>
                      {busy === q.id ? t('em.retrying') : t('em.retry')}
                    </button>
                    <a href={`/api/v1/admin/mail-quarantine/${q.id}/raw`} download={`quarantine-${q.id}.eml`}>
                      {t('em.download')}
                      <span className="sr-only"> #{q.id}</span>
                    </a>
                  </span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/* ───────────────────────────── Outbox ───────────────────────────── */

function OutboxSection() {
  const t = useEmailText();
  const { dateTime } = useI18n();
  const health = useQuery({ queryKey: ['healthz'], queryFn: fetchHealth, refetchInterval: 10_000 });
  const list = useQuery({ queryKey: ['mail-outbox'], queryFn: () => api<{ items: OutboxItem[] }>('/admin/mail-outbox'), refetchInterval: 30_000 });
  const [open, setOpen] = useState<string | null>(null);
  const openerRef = useRef<HTMLButtonElement | null>(null);
  const mode = health.data?.channels.email?.mode;
  const items = list.data?.items ?? [];
  if (mode === 'smtp' && !items.length) return null;
  return (
    <section aria-labelledby="em-outbox" className="rep-section">
      <h2 id="em-outbox">{t('em.outbox')}</h2>
      <p className="muted">{t(mode === 'smtp' ? 'em.outboxSmtp' : 'em.outboxIntro')}</p>
      {list.error && (
        <p className="error" role="alert">
          {t('em.loadFailed', { error: (list.error as Error).message })}
        </p>
      )}
      {list.isSuccess && !items.length ? (
        <p className="empty">{t('em.outboxEmpty')}</p>
      ) : (
        <table className="cases email-table" data-testid="outbox">
          <caption className="sr-only">{t('em.outboxCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('em.o.written')}</th>
              <th scope="col">{t('em.o.to')}</th>
              <th scope="col">{t('em.o.subject')}</th>
              <th scope="col">{t('em.o.size')}</th>
              <th scope="col">
                <span className="sr-only">{t('em.q.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => (
              <tr key={o.file} data-testid="outbox-row">
                <td>{dateTime(o.writtenAt)}</td>
                <td>{o.to ?? t('em.none')}</td>
                <th scope="row">{o.subject ?? o.file}</th>
                <td>{t('em.q.size', { kb: Math.max(1, Math.round(o.size / 1024)) })}</td>
                <td>
                  <button
                    type="button"
                    aria-expanded={open === o.file}
                    aria-label={t('em.o.openLabel', { file: o.file })}
                    onClick={(e) => {
                      openerRef.current = e.currentTarget;
                      setOpen(open === o.file ? null : o.file);
                    }}
                  >
                    {t('em.o.open')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <OutboxMessage
          file={open}
          onClose={() => {
            setOpen(null);
            requestAnimationFrame(() => openerRef.current?.focus());
          }}
        />
      )}
    </section>
  );
}

/** One outbox file: headers and the text; the HTML (already sanitised) only in a sandboxed frame, never in the page. */
function OutboxMessage({ file, onClose }: { file: string; onClose(): void }) {
  const t = useEmailText();
  const view = useQuery({ queryKey: ['mail-outbox', file], queryFn: () => api<OutboxView>(`/admin/mail-outbox/${encodeURIComponent(file)}/view`) });
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (view.isSuccess) headingRef.current?.focus();
  }, [view.isSuccess]);
  const v = view.data;
  const srcDoc = v?.html ? `<!doctype html><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.4 system-ui,sans-serif;margin:8px;color:#111}img{max-width:100%}</style>${v.html}` : null;
  return (
    <article className="composer outbox-message" aria-labelledby="ob-title" data-testid="outbox-message">
      {view.error && (
        <p className="error" role="alert">
          {t('em.loadFailed', { error: (view.error as Error).message })}
        </p>
      )}
      {v && (
        <>
          <h3 id="ob-title" ref={headingRef} tabIndex={-1}>
            {v.subject ?? v.file}
          </h3>
          <h4>{t('em.o.headers')}</h4>
          <table className="headers-table">
            <tbody>
              {v.headers.map((h, i) => (
                <tr key={i}>
                  <th scope="row">{h.name}</th>
                  <td>{h.value}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>{t('em.o.text')}</h4>
          {v.text ? <p className="text" data-testid="outbox-text">{v.text}</p> : <p className="muted">{t('em.o.noText')}</p>}
          {srcDoc && (
            <>
              <h4>{t('em.o.html')}</h4>
              <iframe className="email-frame" title={t('em.o.html')} sandbox="" srcDoc={srcDoc} referrerPolicy="no-referrer" />
            </>
          )}
          {v.attachments.length > 0 && (
            <>
              <h4>{t('em.o.attachments')}</h4>
              <ul>
                {v.attachments.map((a, i) => (
                  <li key={i}>
                    {a.filename ?? a.contentType} ({t('em.q.size', { kb: Math.max(1, Math.round(a.size / 1024)) })})
                  </li>
                ))}
              </ul>
            </>
          )}
          <p>
            <a href={`/api/v1/admin/mail-outbox/${encodeURIComponent(v.file)}`} download={v.file}>
              {t('em.o.download')}
            </a>
          </p>
        </>
      )}
      <button type="button" onClick={onClose}>
        {t('em.o.close')}
      </button>
    </article>
  );
}
