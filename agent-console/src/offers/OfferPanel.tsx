import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { OfferView } from '../../../server/realtime/contract';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { useRealtime, type MeData } from '../socket/RealtimeProvider';
import { navigate } from '../ui/router';
import { playOfferTone } from '../ui/sound';

/** My presence and pending offers (GET /routing/me), patched by the socket. */
export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => api<MeData>('/routing/me') });
}

/** Accepts an offer over the socket (REST when the socket is down) and opens the case. */
export function useOfferActions() {
  const { request } = useRealtime();
  const qc = useQueryClient();
  const drop = (offerId: number) => qc.setQueryData<MeData>(['me'], (me) => (me ? { ...me, offers: me.offers.filter((o) => o.id !== offerId) } : me));
  return {
    accept: async (offer: OfferView) => {
      try {
        await request('offer.accept', { offerId: offer.id }).catch((err: { code?: string }) => {
          if (err.code === 'offline' || err.code === 'timeout') return api(`/routing/offers/${offer.id}/accept`, { method: 'POST', body: {} });
          throw err;
        });
        drop(offer.id);
        void qc.invalidateQueries({ queryKey: ['cases'] });
        navigate({ name: 'case', id: offer.conversationId });
      } catch (err) {
        drop(offer.id);
        throw err;
      }
    },
    decline: async (offer: OfferView) => {
      drop(offer.id);
      await request('offer.decline', { offerId: offer.id }).catch((err: { code?: string }) => {
        if (err.code === 'offline' || err.code === 'timeout') return api(`/routing/offers/${offer.id}/decline`, { method: 'POST', body: {} });
        throw err;
      });
    },
  };
}

function Countdown({ expiresAt }: { expiresAt: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(id);
  }, []);
  const left = Math.max(0, Math.ceil((new Date(expiresAt).getTime() - now) / 1000));
  return (
    <span className="countdown" aria-label={t('offer.secondsLeft', { s: left })}>
      <span aria-hidden="true">◷ </span>
      {t('offer.secondsLeft', { s: left })}
    </span>
  );
}

/** Incoming offers: a card each with the case, a countdown, accept and decline; a chime for each new one. */
export function OfferPanel() {
  const { t, date } = useI18n();
  const me = useMe();
  const actions = useOfferActions();
  const [error, setError] = useState('');
  const heard = useRef(new Set<number>());
  const offers = (me.data?.offers ?? []).filter((o) => o.state === 'pending');

  useEffect(() => {
    for (const o of offers) {
      if (!heard.current.has(o.id)) {
        heard.current.add(o.id);
        playOfferTone();
      }
    }
  }, [offers]);

  return (
    <section className="offers" aria-label={t('offer.title')} aria-live="assertive">
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {offers.map((o) => (
        <article key={o.id} className="offer-card" data-testid="offer" data-conversation-id={o.conversationId} aria-labelledby={`offer-${o.id}`}>
          <h2 id={`offer-${o.id}`}>
            <span aria-hidden="true">★ </span>
            {t('offer.title')}: <span className="regno">{o.conversation.registrationNumber}</span>
          </h2>
          <p>
            {t(`channel.${o.conversation.channel}`)} · {o.conversation.citizenName ?? t('case.anonymous')}
            {o.conversation.legalDueDate ? ` · ${t('case.legalDue')}: ${date(o.conversation.legalDueDate)}` : ''}
          </p>
          {o.conversation.subject && <p className="subject">{o.conversation.subject}</p>}
          {o.preview && <p className="preview">{o.preview}</p>}
          <Countdown expiresAt={o.expiresAt} />
          <div className="buttons">
            <button type="button" className="primary" onClick={() => actions.accept(o).catch((e: Error) => setError(e.message || t('offer.gone')))}>
              {t('offer.accept')}
            </button>
            <button type="button" onClick={() => actions.decline(o).catch((e: Error) => setError(e.message))}>
              {t('offer.decline')}
            </button>
          </div>
        </article>
      ))}
    </section>
  );
}
