import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { useRealtime } from '../socket/RealtimeProvider';
import type { CaseSummary } from '../types';
import { EmptyState, ErrorText, SlaBadge, StatusBadge } from '../ui/bits';
import { href, navigate } from '../ui/router';

const OPEN = 'new,open,pending_citizen,pending_department';

/** The rows of a list of cases, keyboard-navigable (j/k move, Enter opens). */
export function CaseTable({ items, caption }: { items: CaseSummary[]; caption: string }) {
  const { t, date } = useI18n();
  return (
    <table className="cases" data-testid="case-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{t('col.number')}</th>
          <th scope="col">{t('col.subject')}</th>
          <th scope="col">{t('col.citizen')}</th>
          <th scope="col">{t('col.channel')}</th>
          <th scope="col">{t('col.status')}</th>
          <th scope="col">{t('col.due')}</th>
          <th scope="col">{t('col.sla')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((c) => (
          <tr key={c.id} data-case-id={c.id}>
            <td>
              <a href={href({ name: 'case', id: c.id })} className="case-link regno">
                {c.registrationNumber}
              </a>
            </td>
            <td>{c.subject ?? '—'}</td>
            <td>{c.citizen?.name ?? t('case.anonymous')}</td>
            <td>{t(`channel.${c.channel}`)}</td>
            <td>
              <StatusBadge status={c.status} />
            </td>
            <td>{date(c.legalDueDate)}</td>
            <td>
              <SlaBadge state={c.slaState} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** "My cases" (open, assigned to me) or a queue's waiting cases, newest activity first; refreshed by socket events. */
export function CaseList({ kind, queue }: { kind: 'mine' | 'queue'; queue?: string }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const { request } = useRealtime();
  const [pullError, setPullError] = useState<unknown>(null);
  const params = kind === 'mine' ? `assignee=me&status=${OPEN}` : `queue=${encodeURIComponent(queue!)}&assignee=none&status=new,open`;
  const list = useQuery({ queryKey: ['cases', kind, queue ?? null], queryFn: () => api<{ items: CaseSummary[]; nextCursor: string | null }>(`/conversations?${params}&limit=100`) });
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<{ departments: { id: number; code: string; nameRo: string; nameEn: string }[] }>('/directory') });
  const { lang } = useI18n();
  const dept = dir.data?.departments.find((d) => d.code === queue);
  const title = kind === 'mine' ? t('nav.mine') : queue === 'general' ? t('nav.general') : dept ? (lang === 'ro' ? dept.nameRo : dept.nameEn) : queue!;

  const pull = async () => {
    setPullError(null);
    try {
      const queueId = queue === 'general' ? 'general' : dept?.id;
      const r = await request('queue.pull', queueId === undefined ? {} : { queueId });
      void qc.invalidateQueries({ queryKey: ['cases'] });
      navigate({ name: 'case', id: r.conversation.id });
    } catch (err) {
      setPullError(err);
    }
  };

  return (
    <section aria-labelledby="list-title">
      <div className="list-head">
        <h1 id="list-title">{title}</h1>
        {kind === 'queue' && (
          <button type="button" onClick={pull}>
            {t('list.pull')}
          </button>
        )}
      </div>
      <ErrorText error={pullError} />
      {list.isPending ? (
        <p role="status">{t('list.loading')}</p>
      ) : list.isError ? (
        <ErrorText error={list.error} />
      ) : list.data.items.length === 0 ? (
        <EmptyState>{kind === 'mine' ? t('list.empty.mine') : t('list.empty.queue')}</EmptyState>
      ) : (
        <CaseTable items={list.data.items} caption={title} />
      )}
    </section>
  );
}
