import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { useI18n } from '../../i18n/i18n';
import { useSlaText, type SlaMessageKey } from '../../wallboard/messages';
import '../../wallboard/wallboard.css';

interface Window {
  startMinute: number;
  endMinute: number;
}
interface CalendarData {
  legalMarginWorkingDays: number;
  warnPercent: number;
  weekly: Window[][];
  days: { date: string; kind: 'closed' | 'working'; note: string | null; windows: Window[] }[];
  publicHolidays: string[];
}
interface Policy {
  id: number;
  name: string;
  active: boolean;
  categoryId: number | null;
  channel: string | null;
  priority: number | null;
  legalBasis: string | null;
  firstResponseMinutes: number | null;
  nextResponseMinutes: number | null;
  resolutionMinutes: number | null;
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const formatWindows = (ws: Window[]) => ws.map((w) => `${hhmm(w.startMinute)}-${hhmm(w.endMinute)}`).join(', ');
/** Parses "08:00-12:00, 12:30-16:30"; null when a part is not a range. */
function parseWindows(text: string): Window[] | null {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const out: Window[] = [];
  for (const p of parts) {
    const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(p);
    if (!m) return null;
    out.push({ startMinute: Number(m[1]) * 60 + Number(m[2]), endMinute: Number(m[3]) * 60 + Number(m[4]) });
  }
  return out;
}

function DeadlineCalculator() {
  const t = useSlaText();
  const { date } = useI18n();
  const [from, setFrom] = useState('');
  const [days, setDays] = useState(30);
  const [result, setResult] = useState<{ deadline: string; internalTarget: string } | null>(null);
  const [error, setError] = useState('');
  const run = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      setResult(await api(`/calendar/deadline?from=${from}&days=${days}`));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section className="rep-section">
      <h2>{t('adm.deadline')}</h2>
      <form className="rep-form" onSubmit={run}>
        <div>
          <label htmlFor="dl-from">{t('adm.registered')}</label>
          <input id="dl-from" type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
        </div>
        <div>
          <label htmlFor="dl-days">{t('adm.days')}</label>
          <select id="dl-days" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {[5, 10, 15, 30, 45].map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          {t('adm.compute')}
        </button>
      </form>
      {result && <p role="status">{t('adm.deadlineResult', { deadline: date(result.deadline), internal: date(result.internalTarget) })}</p>}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}

function CalendarEditor({ canEdit }: { canEdit: boolean }) {
  const t = useSlaText();
  const { date } = useI18n();
  const qc = useQueryClient();
  const year = Number(new Date().getFullYear());
  const cal = useQuery({ queryKey: ['sla-calendar', year], queryFn: () => api<CalendarData>(`/calendar?year=${year}`) });
  const [hours, setHours] = useState<string[]>([]);
  const [settings, setSettings] = useState({ legalMarginWorkingDays: 2, warnPercent: 80 });
  const [day, setDay] = useState({ date: '', kind: 'closed' as 'closed' | 'working', note: '' });
  const [message, setMessage] = useState('');
  useEffect(() => {
    if (!cal.data) return;
    setHours(cal.data.weekly.map(formatWindows));
    setSettings({ legalMarginWorkingDays: cal.data.legalMarginWorkingDays, warnPercent: cal.data.warnPercent });
  }, [cal.data]);
  const act = useMutation({
    mutationFn: (f: () => Promise<unknown>) => f(),
    onSuccess: () => {
      setMessage(t('adm.saved'));
      void qc.invalidateQueries({ queryKey: ['sla-calendar'] });
    },
    onError: (err) => setMessage((err as Error).message),
  });
  const saveHours = (e: FormEvent) => {
    e.preventDefault();
    const weekly = hours.map(parseWindows);
    const bad = weekly.findIndex((w) => w === null);
    if (bad >= 0) return setMessage(`${t(`weekday.${bad}` as SlaMessageKey)}: 08:00-16:30`);
    act.mutate(() => api('/calendar/hours', { method: 'PUT', body: { weekly } }));
  };
  if (!cal.data) return null;
  return (
    <>
      <section className="rep-section">
        <h2>{t('adm.hours')}</h2>
        <form onSubmit={saveHours}>
          <table className="adm-hours">
            <tbody>
              {[1, 2, 3, 4, 5, 6, 0].map((wd) => (
                <tr key={wd}>
                  <th scope="row">
                    <label htmlFor={`hours-${wd}`}>{t(`weekday.${wd}` as SlaMessageKey)}</label>
                  </th>
                  <td>
                    <input id={`hours-${wd}`} value={hours[wd] ?? ''} disabled={!canEdit} onChange={(e) => setHours(hours.map((h, i) => (i === wd ? e.target.value : h)))} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {canEdit && <button type="submit">{t('adm.saveHours')}</button>}
        </form>
      </section>
      <section className="rep-section">
        <h2>{t('adm.settings')}</h2>
        <form className="rep-form" onSubmit={(e) => (e.preventDefault(), act.mutate(() => api('/calendar/settings', { method: 'PATCH', body: settings })))}>
          <div>
            <label htmlFor="margin">{t('adm.margin')}</label>
            <input id="margin" type="number" min={0} max={15} disabled={!canEdit} value={settings.legalMarginWorkingDays} onChange={(e) => setSettings({ ...settings, legalMarginWorkingDays: Number(e.target.value) })} />
          </div>
          <div>
            <label htmlFor="warn">{t('adm.warn')}</label>
            <input id="warn" type="number" min={1} max={99} disabled={!canEdit} value={settings.warnPercent} onChange={(e) => setSettings({ ...settings, warnPercent: Number(e.target.value) })} />
          </div>
          {canEdit && <button type="submit">{t('adm.save')}</button>}
        </form>
      </section>
      <section className="rep-section">
        <h2>{t('adm.days.title', { year })}</h2>
        <ul>
          {cal.data.days.map((d) => (
            <li key={d.date}>
              {date(d.date)} — {d.kind === 'closed' ? `✕ ${t('adm.day.closed')}` : `✓ ${t('adm.day.working')}`} {d.note ? `(${d.note})` : ''}{' '}
              {canEdit && (
                <button type="button" onClick={() => act.mutate(() => api(`/calendar/days/${d.date}`, { method: 'DELETE' }))}>
                  {t('adm.day.remove')}
                </button>
              )}
            </li>
          ))}
        </ul>
        {canEdit && (
          <form className="rep-form" onSubmit={(e) => (e.preventDefault(), act.mutate(() => api(`/calendar/days/${day.date}`, { method: 'PUT', body: { kind: day.kind, note: day.note || undefined } })))}>
            <div>
              <label htmlFor="day-date">{t('adm.registered').split(' ')[0]}</label>
              <input id="day-date" type="date" required value={day.date} onChange={(e) => setDay({ ...day, date: e.target.value })} />
            </div>
            <div>
              <label htmlFor="day-kind">&nbsp;</label>
              <select id="day-kind" value={day.kind} onChange={(e) => setDay({ ...day, kind: e.target.value as 'closed' | 'working' })}>
                <option value="closed">{t('adm.day.closed')}</option>
                <option value="working">{t('adm.day.working')}</option>
              </select>
            </div>
            <div>
              <label htmlFor="day-note">{t('adm.day.note')}</label>
              <input id="day-note" value={day.note} onChange={(e) => setDay({ ...day, note: e.target.value })} />
            </div>
            <button type="submit">{t('adm.day.add')}</button>
          </form>
        )}
        <p className="muted">{t('adm.holidays', { list: cal.data.publicHolidays.map((h) => date(h)).join(', ') })}</p>
      </section>
      {message && <p role="status">{message}</p>}
    </>
  );
}

function PolicyList({ canEdit }: { canEdit: boolean }) {
  const t = useSlaText();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['sla-policies'], queryFn: () => api<{ policies: Policy[] }>('/sla-policies') });
  const [draft, setDraft] = useState({ name: '', channel: '', legalBasis: '', categoryId: '', firstResponseMinutes: '', nextResponseMinutes: '', resolutionMinutes: '' });
  const [error, setError] = useState('');
  const refresh = () => void qc.invalidateQueries({ queryKey: ['sla-policies'] });
  const num = (v: string) => (v === '' ? null : Number(v));
  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    try {
      await api('/sla-policies', {
        method: 'POST',
        body: {
          name: draft.name, channel: draft.channel || null, legalBasis: draft.legalBasis || null, categoryId: num(draft.categoryId),
          firstResponseMinutes: num(draft.firstResponseMinutes), nextResponseMinutes: num(draft.nextResponseMinutes), resolutionMinutes: num(draft.resolutionMinutes),
        },
      });
      refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const criteria = (p: Policy) =>
    [p.categoryId && `#${p.categoryId}`, p.channel && t(`channel.${p.channel}` as SlaMessageKey), p.legalBasis, p.priority !== null && `≥ P${p.priority}`].filter(Boolean).join(', ') || t('adm.any');
  return (
    <section className="rep-section">
      <h2>{t('adm.policies')}</h2>
      <table>
        <thead>
          <tr>
            <th>{t('adm.policy.name')}</th>
            <th>{t('adm.policy.match')}</th>
            <th>{t('adm.policy.targets')}</th>
            <th>{t('adm.policy.active')}</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.policies ?? []).map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td>{criteria(p)}</td>
              <td>
                {t('rep.firstResponse')}: {p.firstResponseMinutes ?? '—'} · {t('rep.resolution')}: {p.resolutionMinutes ?? '—'} · ↺ {p.nextResponseMinutes ?? '—'}
              </td>
              <td>
                {p.active ? '✓' : '✕'}{' '}
                {canEdit && (
                  <button type="button" onClick={() => void api(`/sla-policies/${p.id}`, { method: 'PATCH', body: { active: !p.active } }).then(refresh, (err: Error) => setError(err.message))}>
                    {t('adm.policy.toggle')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {canEdit && (
        <form className="rep-form" onSubmit={(e) => void create(e)}>
          {(['name', 'categoryId', 'firstResponseMinutes', 'nextResponseMinutes', 'resolutionMinutes'] as const).map((k) => (
            <div key={k}>
              <label htmlFor={`pol-${k}`}>{k === 'name' ? t('adm.policy.name') : k === 'categoryId' ? t('rep.category') : k === 'firstResponseMinutes' ? t('rep.firstResponse') : k === 'resolutionMinutes' ? t('rep.resolution') : '↺'}</label>
              <input id={`pol-${k}`} type={k === 'name' ? 'text' : 'number'} min={1} required={k === 'name'} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />
            </div>
          ))}
          <div>
            <label htmlFor="pol-channel">{t('rep.channel')}</label>
            <select id="pol-channel" value={draft.channel} onChange={(e) => setDraft({ ...draft, channel: e.target.value })}>
              <option value="">{t('adm.any')}</option>
              {['voice', 'sms', 'email', 'portal', 'letter', 'api'].map((c) => (
                <option key={c} value={c}>
                  {t(`channel.${c}` as SlaMessageKey)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="pol-basis">{t('rep.legal')}</label>
            <select id="pol-basis" value={draft.legalBasis} onChange={(e) => setDraft({ ...draft, legalBasis: e.target.value })}>
              <option value="">{t('adm.any')}</option>
              <option value="petition">OG 27/2002</option>
              <option value="public_information">L 544/2001</option>
              <option value="none">—</option>
            </select>
          </div>
          <button type="submit" className="primary">
            {t('adm.policy.add')}
          </button>
        </form>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}

/** Deadlines, office hours, closed days and SLA policies: admins edit, supervisors read. */
export function SlaAdminView({ role }: { role: 'agent' | 'supervisor' | 'admin' }) {
  const t = useSlaText();
  const canEdit = role === 'admin';
  return (
    <div className="wb">
      <h1>{t('adm.title')}</h1>
      <DeadlineCalculator />
      <CalendarEditor canEdit={canEdit} />
      {role !== 'agent' && <PolicyList canEdit={canEdit} />}
    </div>
  );
}
