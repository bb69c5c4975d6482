import { useQuery } from '@tanstack/react-query';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import type { SearchHit } from '../types';
import { EmptyState, ErrorText, StatusBadge } from '../ui/bits';
import { href } from '../ui/router';

/** Search results: by number, name, phone, email or text, within what I may see. */
export function SearchView({ q }: { q: string }) {
  const { t, date } = useI18n();
  const enabled = q.trim().length >= 2;
  const r = useQuery({ queryKey: ['search', q], enabled, queryFn: () => api<{ items: SearchHit[] }>(`/search?q=${encodeURIComponent(q)}`) });
  return (
    <section aria-labelledby="search-title">
      <h1 id="search-title">
        {t('nav.search')}: „{q}”
      </h1>
      {!enabled ? (
        <EmptyState>{t('search.hint')}</EmptyState>
      ) : r.isPending ? (
        <p role="status">{t('list.loading')}</p>
      ) : r.isError ? (
        <ErrorText error={r.error} />
      ) : r.data.items.length === 0 ? (
        <EmptyState>{t('search.empty', { q })}</EmptyState>
      ) : (
        <ul className="search-results">
          {r.data.items.map((h) => (
            <li key={h.conversation.id}>
              <a href={href({ name: 'case', id: h.conversation.id })} className="regno">
                {h.conversation.registrationNumber}
              </a>{' '}
              <StatusBadge status={h.conversation.status} /> {h.conversation.subject ?? ''} · {h.conversation.citizen?.name ?? t('case.anonymous')} · {t(`channel.${h.conversation.channel}`)} ·{' '}
              {t('case.legalDue')}: {date(h.conversation.legalDueDate)}
              <br />
              <small>{t('search.matched', { by: h.matchedBy.join(', ') })}</small>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
