import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api';
import { useI18n, type Translate } from '../i18n/i18n';
import type { CaseDetail, DuplicateReason, DuplicateSuggestion, SearchHit } from '../types';
import { ChannelIcon, EmptyState, ErrorText, StatusBadge } from '../ui/bits';
import { href } from '../ui/router';

/** A case the picker can tick: a suggestion (with its reasons) or one found by its number. */
interface Pickable {
  id: number;
  registrationNumber: string;
  channel: CaseDetail['channel'];
  subject: string | null;
  registeredAt: string;
  status: CaseDetail['status'];
  reasons: DuplicateReason[];
}

/** Statuses a duplicate can be joined from, and statuses of a case that can take duplicates (joinConversations). */
const JOINABLE = new Set(['new', 'open', 'pending_citizen', 'pending_department']);
const TARGET_OK = new Set([...JOINABLE, 'resolved']);

function describeReason(r: DuplicateReason, t: Translate): string {
  switch (r.kind) {
    case 'same_citizen':
      return t('dup.reason.same_citizen');
    case 'nearby':
      return t('dup.reason.nearby', { m: r.meters });
    case 'similar_text':
      return t(r.sameCategory ? 'dup.reason.similar_category' : 'dup.reason.similar_department', { words: r.words.join(', ') });
  }
}

function PickRow({ item, checked, onToggle }: { item: Pickable; checked: boolean; onToggle(): void }) {
  const { t, dateTime } = useI18n();
  const inputId = `dup-${item.id}`;
  return (
    <li className="dup-row" data-testid="duplicate" data-conversation-id={item.id}>
      <input type="checkbox" id={inputId} checked={checked} onChange={onToggle} aria-describedby={`${inputId}-why`} />
      <label htmlFor={inputId}>
        <ChannelIcon channel={item.channel} /> <span className="regno">{item.registrationNumber}</span> · {item.subject ?? t('dup.noSubject')}
        <br />
        <small>
          <time dateTime={item.registeredAt}>{dateTime(item.registeredAt)}</time> · <StatusBadge status={item.status} />
        </small>
      </label>
      <p id={`${inputId}-why`} className="dup-why">
        {item.reasons.length ? item.reasons.map((r) => describeReason(r, t)).join(' · ') : t('dup.reason.found')}
      </p>
      <a href={href({ name: 'case', id: item.id })} className="dup-open">
        {t('dup.open', { n: item.registrationNumber })}
      </a>
    </li>
  );
}

/**
 * Beside the case: the possible duplicates the server suggests (same citizen, similar text, nearby), each with
 * why; a search by registration number for any other case; tick, confirm what will happen, and join them into
 * this case so one answer goes to every citizen.
 */
export function DuplicatePicker({ c }: { c: CaseDetail }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const canJoin = TARGET_OK.has(c.status);
  const suggestions = useQuery({
    queryKey: ['duplicates', c.id],
    queryFn: () => api<{ items: DuplicateSuggestion[] }>(`/conversations/${c.id}/duplicates`),
    enabled: canJoin,
  });
  const [picked, setPicked] = useState<Map<number, Pickable>>(new Map());
  const [found, setFound] = useState<Pickable[]>([]);
  const [q, setQ] = useState('');
  const [searchNote, setSearchNote] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState('');
  const confirmRef = useRef<HTMLButtonElement>(null);
  const joinRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const join = useMutation({
    mutationFn: (ids: number[]) => api(`/conversations/${c.id}/join`, { method: 'POST', body: { duplicateIds: ids } }),
    onSuccess: () => {
      setDone(t('dup.joined', { list: [...picked.values()].map((p) => p.registrationNumber).join(', '), n: c.registrationNumber }));
      setPicked(new Map());
      setFound([]);
      setConfirming(false);
      void qc.invalidateQueries({ queryKey: ['case', c.id] });
      void qc.invalidateQueries({ queryKey: ['duplicates', c.id] });
      void qc.invalidateQueries({ queryKey: ['cases'] });
    },
    onError: () => setConfirming(false),
  });

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setSearchNote('');
    const wanted = q.trim();
    if (!wanted) return;
    try {
      const r = await api<{ items: SearchHit[] }>(`/search?q=${encodeURIComponent(wanted)}&limit=20`);
      const hits = r.items
        .filter((h) => h.matchedBy.includes('registration_number') && h.conversation.id !== c.id)
        .map((h): Pickable => ({ ...h.conversation, reasons: [] }));
      const joinable = hits.filter((h) => JOINABLE.has(h.status));
      if (!hits.length) setSearchNote(t('dup.searchNone', { q: wanted }));
      else if (!joinable.length) setSearchNote(t('dup.searchNotJoinable', { q: wanted }));
      setFound(joinable);
    } catch (err) {
      setSearchNote(err instanceof Error ? err.message : String(err));
    }
  };

  if (!canJoin) return null;
  const toggle = (item: Pickable) =>
    setPicked((prev) => {
      const next = new Map(prev);
      if (next.has(item.id)) next.delete(item.id);
      else next.set(item.id, item);
      return next;
    });
  const suggested: Pickable[] = (suggestions.data?.items ?? []).map((s) => ({ ...s.conversation, reasons: s.reasons }));
  const extra = found.filter((f) => !suggested.some((s) => s.id === f.id));
  // Cases ticked from an earlier search stay listed (and ticked) until joined or unticked.
  const kept = [...picked.values()].filter((p) => !suggested.some((s) => s.id === p.id) && !extra.some((f) => f.id === p.id));
  const list = [...picked.values()].map((p) => p.registrationNumber).join(', ');

  return (
    <section className="duplicates" aria-labelledby={`dup-title-${c.id}`} data-testid="duplicates">
      <h3 id={`dup-title-${c.id}`}>{t('dup.title')}</h3>
      <p className="muted">{t('dup.help')}</p>
      {suggestions.isPending ? (
        <p role="status">{t('dup.loading')}</p>
      ) : suggestions.isError ? (
        <ErrorText error={suggestions.error} />
      ) : suggested.length === 0 ? (
        <EmptyState>{t('dup.none')}</EmptyState>
      ) : (
        <ul className="dup-list" aria-label={t('dup.suggested')}>
          {suggested.map((s) => (
            <PickRow key={s.id} item={s} checked={picked.has(s.id)} onToggle={() => toggle(s)} />
          ))}
        </ul>
      )}

      <form role="search" onSubmit={search} className="dup-search">
        <label htmlFor={`dup-q-${c.id}`}>{t('dup.searchLabel')}</label>
        <input id={`dup-q-${c.id}`} type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="123/2026" autoComplete="off" />
        <button type="submit">{t('dup.searchButton')}</button>
      </form>
      {searchNote && <p role="status">{searchNote}</p>}
      {extra.length + kept.length > 0 && (
        <ul className="dup-list" aria-label={t('dup.found')}>
          {[...extra, ...kept].map((s) => (
            <PickRow key={s.id} item={s} checked={picked.has(s.id)} onToggle={() => toggle(s)} />
          ))}
        </ul>
      )}

      {!confirming ? (
        <button type="button" ref={joinRef} disabled={picked.size === 0 || join.isPending} onClick={() => setConfirming(true)}>
          {t('dup.joinButton', { n: picked.size })}
        </button>
      ) : (
        <div
          role="alertdialog"
          aria-labelledby={`dup-confirm-title-${c.id}`}
          aria-describedby={`dup-confirm-text-${c.id}`}
          className="dup-confirm"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setConfirming(false);
              requestAnimationFrame(() => joinRef.current?.focus());
            }
          }}
        >
          <p id={`dup-confirm-title-${c.id}`}>
            <strong>{t('dup.confirmTitle')}</strong>
          </p>
          <p id={`dup-confirm-text-${c.id}`}>{t('dup.confirmText', { list, n: c.registrationNumber })}</p>
          <button type="button" ref={confirmRef} onClick={() => join.mutate([...picked.keys()])} disabled={join.isPending}>
            {t('dup.confirm')}
          </button>{' '}
          <button
            type="button"
            onClick={() => {
              setConfirming(false);
              requestAnimationFrame(() => joinRef.current?.focus());
            }}
          >
            {t('dup.cancel')}
          </button>
        </div>
      )}
      <p role="status">{done}</p>
      <ErrorText error={join.error} />
    </section>
  );
}
