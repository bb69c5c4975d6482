import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/ro';
import { useRealtime } from '../socket/RealtimeProvider';
import type { CaseDetail, CaseSummary, Directory, SessionAgent } from '../types';
import { EmptyState, ErrorText, SlaBadge, StatusBadge } from '../ui/bits';
import { href } from '../ui/router';
import { CaseActions } from './CaseActions';
import { Composer } from './Composer';
import { DuplicatePicker } from './DuplicatePicker';
import { NoteComposer } from './NoteComposer';
import { describeEvent, MESSAGE_RENDERERS, NoteMessage } from './renderers';

function Viewers({ conversationId, me }: { conversationId: number; me: SessionAgent }) {
  const { t } = useI18n();
  const others = useRealtime().viewers(conversationId).filter((v) => v.agentId !== me.id);
  if (!others.length) return null;
  const typing = others.filter((v) => v.typing);
  return (
    <p className="viewers" role="status" data-testid="viewers">
      <span aria-hidden="true">◉ </span>
      {t('case.viewers', { names: others.map((v) => v.name).join(', ') })}
      {typing.map((v) => (
        <span key={v.agentId} className="typing">
          {' '}
          · {t('case.typing', { name: v.name })}
        </span>
      ))}
    </p>
  );
}

/** How each kind of identity is named in the contacts list. */
const IDENTITY_KEYS: Record<string, MessageKey | undefined> = { phone: 'identity.phone', email: 'identity.email', postal: 'identity.postal' };

/** The citizen's other cases, on every channel, beside the case. */
function CitizenHistory({ citizenId, currentId }: { citizenId: number; currentId: number }) {
  const { t, date } = useI18n();
  const r = useQuery({ queryKey: ['citizen', citizenId], queryFn: () => api<{ conversations: CaseSummary[] }>(`/citizens/${citizenId}`) });
  const others = (r.data?.conversations ?? []).filter((c) => c.id !== currentId);
  return (
    <aside className="history" aria-labelledby="history-title">
      <h3 id="history-title">{t('case.history')}</h3>
      {r.isError ? (
        <ErrorText error={r.error} />
      ) : others.length === 0 ? (
        <EmptyState>{t('case.historyEmpty')}</EmptyState>
      ) : (
        <ul>
          {others.map((c) => (
            <li key={c.id}>
              <a href={href({ name: 'case', id: c.id })} className="regno">
                {c.registrationNumber}
              </a>{' '}
              · {t(`channel.${c.channel}`)} · <StatusBadge status={c.status} />
              <br />
              <small>
                {c.subject ?? ''} · {date(c.registeredAt.slice(0, 10))}
              </small>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

/** One case: header, one timeline across channels, reply and note composers, actions, and the citizen beside it. */
export function CaseView({ id, me }: { id: number; me: SessionAgent }) {
  const { t, date, dateTime, lang } = useI18n();
  const { request, state } = useRealtime();
  const q = useQuery({ queryKey: ['case', id], queryFn: () => api<CaseDetail>(`/conversations/${id}`), retry: (n, err) => !(err instanceof ApiError && err.status === 404) && n < 2 });
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<Directory>('/directory') });
  const agentName = (agentId: number | null | undefined) => dir.data?.agents.find((a) => a.id === agentId)?.name ?? (agentId ? `#${agentId}` : '—');

  // Tell the server I view this case (viewers, typing); again after every reconnect.
  useEffect(() => {
    if (state !== 'live') return;
    request('conversation.view', { conversationId: id }).catch(() => undefined);
    return () => {
      request('conversation.leave', { conversationId: id }).catch(() => undefined);
    };
  }, [id, state, request]);

  if (q.isPending) return <p role="status">{t('case.loading')}</p>;
  if (q.isError) return q.error instanceof ApiError && q.error.status === 404 ? <EmptyState>{t('case.notFound')}</EmptyState> : <ErrorText error={q.error} />;
  const c = q.data;
  const deptName = c.department ? (lang === 'ro' ? c.department.nameRo : c.department.nameEn) : t('case.generalQueue');
  return (
    <div className="case" data-testid="case-view" data-case-id={c.id}>
      <header className="case-head">
        <h1>
          <span className="regno">{c.registrationNumber}</span> {c.subject ?? ''}
        </h1>
        <p>
          <StatusBadge status={c.status} />
          {c.resolution ? ` (${t(`resolution.${c.resolution as 'answered' | 'fixed' | 'rejected' | 'forwarded'}`)})` : ''} <SlaBadge state={c.slaState} /> · {t(`channel.${c.channel}`)} · {t('case.registered')}: {dateTime(c.registeredAt)} · {t('case.legalDue')}:{' '}
          <strong>{date(c.legalDueDate)}</strong> · {t('case.internalDue')}: {date(c.internalDueDate)} · {t('case.assignee')}: {c.assignee?.name ?? t('case.unassigned')} · {t('case.department')}: {deptName}
          {c.category ? ` · ${t('case.category')}: ${lang === 'ro' ? c.category.nameRo : c.category.nameEn}` : ''}
        </p>
        {c.joinedIntoId && (
          <p className="notice">
            {t('case.joinedInto')} <a href={href({ name: 'case', id: c.joinedIntoId })}>{t('case.openJoined')}</a>
          </p>
        )}
        <Viewers conversationId={c.id} me={me} />
      </header>
      <div className="case-body">
        <div className="case-main">
          <section aria-labelledby="timeline-title">
            <h2 id="timeline-title">{t('case.timeline')}</h2>
            {c.timeline.length === 0 ? (
              <EmptyState>{t('case.timelineEmpty')}</EmptyState>
            ) : (
              <ol className="timeline" data-testid="timeline">
                {c.timeline.map((entry) => {
                  if (entry.kind === 'event') {
                    return (
                      <li key={`e${entry.event.id}`} className={`tl-event ${entry.event.type.startsWith('sla.') ? 'tl-sla' : ''}`}>
                        <time dateTime={entry.at}>{dateTime(entry.at)}</time> {describeEvent(entry.event, t, agentName)}
                        {entry.event.actorType === 'agent' && entry.event.actorId ? ` — ${agentName(entry.event.actorId)}` : ''}
                      </li>
                    );
                  }
                  const m = entry.message;
                  const Renderer = m.channel === 'internal' ? NoteMessage : MESSAGE_RENDERERS[m.channel];
                  const who =
                    m.direction === 'inbound' ? t('msg.inbound') : m.direction === 'note' ? t('msg.note', { name: m.author?.name ?? '—' }) : m.author ? t('msg.outbound', { name: m.author.name }) : t('msg.automatic');
                  return (
                    <li key={`m${m.id}`} className={`tl-message dir-${m.direction} ch-${m.channel}`} data-message-id={m.id}>
                      <p className="tl-meta">
                        <strong>{t(`channel.${m.channel}`)}</strong> · {who} · <time dateTime={m.receivedAt}>{dateTime(m.receivedAt)}</time>
                        {m.deliveryStatus ? ` · ${t('msg.delivery', { status: m.deliveryStatus })}` : ''}
                        {m.automatic && m.author ? ` · ${t('msg.automatic')}` : ''}
                      </p>
                      <Renderer message={m} caseId={c.id} />
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
          <Composer c={c} />
          <NoteComposer conversationId={c.id} />
        </div>
        <div className="case-side">
          <section aria-labelledby="contacts-title">
            <h3 id="contacts-title">{t('case.contacts')}</h3>
            <p>{c.citizen?.name ?? t('case.anonymous')}</p>
            <ul>
              {(c.citizen?.identities ?? []).filter((i) => i.value).map((i) => (
                <li key={i.id}>
                  {IDENTITY_KEYS[i.kind] ? t(IDENTITY_KEYS[i.kind]!) : i.kind}: {i.value}
                </li>
              ))}
            </ul>
          </section>
          <CaseActions key={`${c.id}-${c.status}`} c={c} />
          <DuplicatePicker key={`dup-${c.id}`} c={c} />
          {c.citizen && <CitizenHistory citizenId={c.citizen.id} currentId={c.id} />}
        </div>
      </div>
    </div>
  );
}
