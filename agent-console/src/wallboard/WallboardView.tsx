import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { BoardCaseView, DepartmentBoardView, WallboardView as Snapshot } from '../../../server/sla/views';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { href } from '../ui/router';
import { BarChart, ComplianceGauge, LevelTag, type Level } from './charts';
import { useSlaText, useSpan, type SlaMessageKey } from './messages';
import { useWallboardSocket, WALLBOARD_KEY } from './useWallboardSocket';
import './wallboard.css';

/** Polling only while the socket is down (the server pushes the board at least every 5 s otherwise). */
const POLL_MS = 5_000;
/** A queue whose longest wait passes these minutes turns amber, then red. */
const WAIT_THRESHOLDS_MIN = { warn: 5, bad: 15 };
const PRESENCE_ORDER = ['available', 'busy', 'after_call_work', 'away', 'offline'] as const;

function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

function tileLevel(d: DepartmentBoardView, now: number): Level {
  const waitMin = d.longestWaitingSince ? (now - Date.parse(d.longestWaitingSince)) / 60_000 : 0;
  if (d.breached > 0 || waitMin >= WAIT_THRESHOLDS_MIN.bad) return 'bad';
  if (d.atRisk > 0 || waitMin >= WAIT_THRESHOLDS_MIN.warn) return 'warn';
  return 'ok';
}

function DepartmentTile({ d, now }: { d: DepartmentBoardView; now: number }) {
  const t = useSlaText();
  const span = useSpan();
  const { dateTime } = useI18n();
  const level = tileLevel(d, now);
  const due = d.nearestDueAt ? Date.parse(d.nearestDueAt) - now : null;
  return (
    <section className={`wb-tile wb-level-${level}`} aria-label={d.departmentId === null ? t('wb.general') : d.name}>
      <h2>
        <span>{d.departmentId === null ? t('wb.general') : d.name}</span>
        <LevelTag level={level} />
      </h2>
      <dl>
        <dt>{t('wb.waiting')}</dt>
        <dd>{d.waiting}</dd>
        <dt>{t('wb.longestWait')}</dt>
        <dd>{d.longestWaitingSince ? span(now - Date.parse(d.longestWaitingSince)) : '—'}</dd>
        <dt>{t('wb.calls')}</dt>
        <dd>
          {d.callsWaiting}
          {d.longestCallWaitingSince ? ` (${span(now - Date.parse(d.longestCallWaitingSince))})` : ''}
        </dd>
        <dt>{t('wb.nearestDue')}</dt>
        <dd title={dateTime(d.nearestDueAt)} className={due !== null && due < 0 ? 'wb-bad' : undefined}>
          {due === null ? '—' : due < 0 ? `✕ ${t('wb.overdue', { span: span(-due) })}` : t('wb.in', { span: span(due) })}
        </dd>
        <dt>{t('wb.open')}</dt>
        <dd>{d.openCases}</dd>
        <dt>{t('wb.atRisk')}</dt>
        <dd className={d.atRisk ? 'wb-warn' : undefined}>{d.atRisk ? `▲ ${d.atRisk}` : 0}</dd>
        <dt>{t('wb.breached')}</dt>
        <dd className={d.breached ? 'wb-bad' : undefined}>{d.breached ? `✕ ${d.breached}` : 0}</dd>
        <dt>{t('wb.agents')}</dt>
        <dd>
          {PRESENCE_ORDER.filter((p) => d.agents[p]).map((p) => `${d.agents[p]} ${t(`presence.${p}` as SlaMessageKey)}`).join(', ') || '—'}
        </dd>
      </dl>
      <p className="muted">{t('wb.offers', { accepted: d.offersAcceptedToday, declined: d.offersDeclinedToday })}</p>
    </section>
  );
}

function CaseTable({ title, rows, now }: { title: string; rows: BoardCaseView[]; now: number }) {
  const t = useSlaText();
  const span = useSpan();
  const { date } = useI18n();
  return (
    <section>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p className="empty">{t('wb.none')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('wb.col.number')}</th>
              <th>{t('wb.col.channel')}</th>
              <th>{t('wb.col.due')}</th>
              <th>{t('wb.col.legal')}</th>
              <th>{t('wb.col.priority')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => {
              const due = c.dueAt ? Date.parse(c.dueAt) - now : null;
              return (
                <tr key={c.id}>
                  <td>
                    <a className="case-link regno" href={href({ name: 'case', id: c.id })}>
                      {c.registrationNumber}
                    </a>
                  </td>
                  <td>{t(`channel.${c.channel}` as SlaMessageKey)}</td>
                  <td className={due !== null && due < 0 ? 'wb-bad' : 'wb-warn'}>
                    {due === null ? '—' : due < 0 ? `✕ ${t('wb.overdue', { span: span(-due) })}` : `▲ ${t('wb.in', { span: span(due) })}`}
                  </td>
                  <td>{date(c.legalDueDate)}</td>
                  <td>{c.priority}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The supervisors' wallboard: live queues per department, compliance, lists, volume; a big-screen mode. */
export function WallboardView() {
  const t = useSlaText();
  const { dateTime } = useI18n();
  const now = useNow();
  const [big, setBig] = useState(false);
  const { connection, maxAgeMs } = useWallboardSocket();
  const live = connection === 'live';
  const q = useQuery({
    queryKey: WALLBOARD_KEY,
    queryFn: () => api<Snapshot>('/wallboard'),
    // Pushed while connected; read over HTTP (first load, and every few seconds while disconnected) otherwise.
    refetchInterval: live ? false : POLL_MS,
    refetchIntervalInBackground: true,
    staleTime: live ? Infinity : 0,
  });
  useEffect(() => {
    if (!big) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setBig(false);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [big]);
  const s = q.data;
  const ageSeconds = s ? Math.max(0, Math.round((now - Date.parse(s.at)) / 1000)) : 0;
  // Twice the server's longest gap between pushes (and at least 15 s): the figures are no longer current.
  const staleAfter = Math.max(15, Math.round((2 * maxAgeMs) / 1000));
  return (
    <div className={`wb${big ? ' wb-big' : ''}${live ? '' : ' wb-disconnected'}`} data-testid="wallboard">
      <div className="wb-head">
        <h1>{t('wb.title')}</h1>
        <span className={`wb-conn wb-conn-${connection}`} role="status" aria-live="polite" data-testid="wallboard-connection" data-state={connection}>
          {connection === 'live' ? `● ${t('wb.live')}` : connection === 'offline' ? `⚠ ${t('wb.offline')}` : `⟳ ${t('wb.connecting')}`}
        </span>
        {s && (
          <span className="muted" title={t('wb.updated', { time: dateTime(s.at) })} data-testid="wallboard-age">
            {t('wb.age', { seconds: ageSeconds })}
          </span>
        )}
        {s && ageSeconds > staleAfter && (
          <span className="wb-bad" role="status">
            ⚠ {t('wb.stale', { seconds: ageSeconds })}
          </span>
        )}
        <button type="button" onClick={() => setBig((b) => !b)} aria-pressed={big}>
          {big ? t('wb.exitBigScreen') : t('wb.bigScreen')}
        </button>
      </div>
      {q.error && <p className="error" role="alert">{(q.error as Error).message}</p>}
      {s && (
        <>
          <div className="wb-tiles">
            {s.departments.filter((d) => d.departmentId !== null || d.openCases > 0).map((d) => (
              <DepartmentTile key={d.departmentId ?? 'general'} d={d} now={now} />
            ))}
          </div>
          <div className="wb-row">
            <section>
              <h2>{t('wb.compliance')}</h2>
              <ComplianceGauge label={t('wb.slaToday')} {...s.compliance.sla.today} />
              <ComplianceGauge label={t('wb.slaMonth')} {...s.compliance.sla.month} />
              <ComplianceGauge label={t('wb.legalToday')} {...s.compliance.legal.today} />
              <ComplianceGauge label={t('wb.legalMonth')} {...s.compliance.legal.month} />
            </section>
            <BarChart
              title={t('wb.volume')}
              labels={s.volume.map((v) => t(`channel.${v.channel}` as SlaMessageKey))}
              series={[
                { name: t('wb.today'), className: 'wb-bar-today', values: s.volume.map((v) => v.today) },
                { name: t('wb.lastWeek'), className: 'wb-bar-last', values: s.volume.map((v) => v.lastWeekSameTime) },
              ]}
            />
          </div>
          <div className="wb-row">
            <CaseTable title={t('wb.breachedList')} rows={s.breached} now={now} />
            <CaseTable title={t('wb.atRiskList')} rows={s.atRisk} now={now} />
          </div>
        </>
      )}
    </div>
  );
}
