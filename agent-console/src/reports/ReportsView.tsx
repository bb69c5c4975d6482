import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { DurationStats, ReportFilters, SupervisorReport } from '../../../server/sla/views';
import { api } from '../api';
import { BarChart, ComplianceGauge } from '../wallboard/charts';
import { useSlaText, useSpan, type SlaMessageKey } from '../wallboard/messages';
import '../wallboard/wallboard.css';

const CHANNELS = ['voice', 'sms', 'email', 'portal', 'letter', 'api'] as const;

function bucharestToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Bucharest', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
}

function queryString(f: ReportFilters): string {
  const p = new URLSearchParams({ from: f.from, to: f.to });
  if (f.channel) p.set('channel', f.channel);
  if (f.departmentId) p.set('departmentId', String(f.departmentId));
  if (f.categoryId) p.set('categoryId', String(f.categoryId));
  return p.toString();
}

function Durations({ label, s }: { label: string; s: DurationStats }) {
  const t = useSlaText();
  const span = useSpan();
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>{s.count}</td>
      <td>{s.medianSeconds === null ? '—' : span(s.medianSeconds * 1000)}</td>
      <td>{s.p90Seconds === null ? '—' : span(s.p90Seconds * 1000)}</td>
      <td className="sr-only">{t('rep.count')}</td>
    </tr>
  );
}

/** Supervisor reports: a date range and filters; volume, times, compliance, satisfaction, agents, backlog; CSV. */
export function ReportsView() {
  const t = useSlaText();
  const span = useSpan();
  const today = bucharestToday();
  const [draft, setDraft] = useState<ReportFilters>({ from: `${today.slice(0, 8)}01`, to: today });
  const [filters, setFilters] = useState<ReportFilters>(draft);
  const q = useQuery({ queryKey: ['report', filters], queryFn: () => api<SupervisorReport>(`/reports?${queryString(filters)}`) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };
  const r = q.data;
  return (
    <div className="wb">
      <h1>{t('rep.title')}</h1>
      <form className="rep-form" onSubmit={submit}>
        <div>
          <label htmlFor="rep-from">{t('rep.from')}</label>
          <input id="rep-from" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} required />
        </div>
        <div>
          <label htmlFor="rep-to">{t('rep.to')}</label>
          <input id="rep-to" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} required />
        </div>
        <div>
          <label htmlFor="rep-channel">{t('rep.channel')}</label>
          <select id="rep-channel" value={draft.channel ?? ''} onChange={(e) => setDraft({ ...draft, channel: (e.target.value || undefined) as ReportFilters['channel'] })}>
            <option value="">{t('rep.all')}</option>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {t(`channel.${c}` as SlaMessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="rep-dept">{t('rep.department')}</label>
          <input id="rep-dept" type="number" min={1} value={draft.departmentId ?? ''} onChange={(e) => setDraft({ ...draft, departmentId: e.target.value ? Number(e.target.value) : undefined })} />
        </div>
        <div>
          <label htmlFor="rep-cat">{t('rep.category')}</label>
          <input id="rep-cat" type="number" min={1} value={draft.categoryId ?? ''} onChange={(e) => setDraft({ ...draft, categoryId: e.target.value ? Number(e.target.value) : undefined })} />
        </div>
        <button type="submit" className="primary">
          {t('rep.run')}
        </button>
        <a href={`/api/v1/reports/export.csv?${queryString(filters)}`} download>
          {t('rep.csv')}
        </a>
      </form>
      {q.error && <p className="error" role="alert">{(q.error as Error).message}</p>}
      {r && (
        <>
          <section className="rep-section">
            <h2>{t('rep.volume', { total: r.volume.total })}</h2>
            <div className="wb-row">
              <BarChart title={t('rep.byChannel')} labels={r.volume.byChannel.map((v) => t(`channel.${v.channel}` as SlaMessageKey))} series={[{ name: t('rep.count'), className: 'wb-bar-a', values: r.volume.byChannel.map((v) => v.count) }]} />
              <BarChart title={t('rep.byDepartment')} labels={r.volume.byDepartment.map((v) => v.name ?? t('rep.none'))} series={[{ name: t('rep.count'), className: 'wb-bar-a', values: r.volume.byDepartment.map((v) => v.count) }]} />
            </div>
            <table>
              <caption>{t('rep.byCategory')}</caption>
              <tbody>
                {r.volume.byCategory.map((c) => (
                  <tr key={c.categoryId ?? 'none'}>
                    <th scope="row">{c.name ?? t('rep.none')}</th>
                    <td>{c.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="rep-section">
            <h2>{t('rep.times')}</h2>
            <table>
              <thead>
                <tr>
                  <th />
                  <th>{t('rep.count')}</th>
                  <th>{t('rep.median')}</th>
                  <th>{t('rep.p90')}</th>
                </tr>
              </thead>
              <tbody>
                <Durations label={t('rep.firstResponse')} s={r.firstResponse} />
                <Durations label={t('rep.resolution')} s={r.resolution} />
              </tbody>
            </table>
          </section>
          <section className="rep-section">
            <h2>{t('rep.compliance')}</h2>
            <ComplianceGauge label={t('rep.sla')} {...r.compliance.sla} />
            <ComplianceGauge label={t('rep.legal')} {...r.compliance.legal} />
          </section>
          <section className="rep-section">
            <h2>{t('rep.satisfaction')}</h2>
            <p>{r.satisfaction.available ? t('rep.ratings', { count: r.satisfaction.count, avg: r.satisfaction.average === null ? '—' : r.satisfaction.average.toFixed(2) }) : t('rep.noRatings')}</p>
          </section>
          <section className="rep-section">
            <h2>{t('rep.agents')}</h2>
            <table>
              <thead>
                <tr>
                  <th>{t('rep.agent')}</th>
                  <th>{t('rep.resolved')}</th>
                  <th>{t('rep.slaMet')}</th>
                  <th>{t('rep.slaBreached')}</th>
                  <th>{t('rep.replies')}</th>
                  <th>{t('rep.medianResolution')}</th>
                </tr>
              </thead>
              <tbody>
                {r.agents.map((a) => (
                  <tr key={a.agentId}>
                    <th scope="row">{a.name}</th>
                    <td>{a.resolved}</td>
                    <td>{a.slaMet}</td>
                    <td className={a.slaBreached ? 'wb-bad' : undefined}>{a.slaBreached}</td>
                    <td>{a.repliesSent}</td>
                    <td>{a.medianResolutionSeconds === null ? '—' : span(a.medianResolutionSeconds * 1000)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
          <section className="rep-section">
            <BarChart title={t('rep.backlog')} labels={r.backlog.map((b) => b.bucket)} series={[{ name: t('rep.count'), className: 'wb-bar-b', values: r.backlog.map((b) => b.count) }]} />
          </section>
        </>
      )}
    </div>
  );
}
