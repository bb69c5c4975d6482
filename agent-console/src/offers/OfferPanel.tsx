import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { CallOfferView, OfferView } from '../../../server/realtime/contract';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { useRealtime, type MeData } from '../socket/RealtimeProvider';
import { navigate } from '../ui/router';
import { playOfferTone } from '../ui/sound';
import { useMyCalls, usePhoneConfig, useSoftphoneRegistered, type MyCalls } from '../phone/phoneState';

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

/** The caller's wait so far (mm:ss), ticking. */
function Waited({ since }: { since: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const s = Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
  return <span className="waited">{t('call.waited', { t: `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` })}</span>;
}

/** Ringing calls: a card each (caller, department, wait, countdown), a ring while it rings, accept and decline. */
function CallOffers({ onError }: { onError(message: string): void }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const config = usePhoneConfig();
  const calls = useMyCalls(Boolean(config.data?.phone));
  const registered = useSoftphoneRegistered();
  const offers = calls.data?.offers ?? [];
  const ringing = offers.length > 0;
  useEffect(() => {
    if (!ringing) return;
    playOfferTone();
    const id = setInterval(playOfferTone, 3000);
    return () => clearInterval(id);
  }, [ringing]);
  const drop = (callId: number) => qc.setQueryData<MyCalls>(['phoneCalls'], (old) => (old ? { ...old, offers: old.offers.filter((o) => o.callId !== callId) } : old));
  // The softphone takes the call when it is registered; otherwise the agent's own number does, when there is one.
  const device = registered || !config.data?.phoneNumber ? 'softphone' : 'phone';
  const accept = async (c: CallOfferView) => {
    drop(c.callId);
    await api(`/phone/calls/${c.callId}/accept`, { method: 'POST', body: { device } });
    void qc.invalidateQueries({ queryKey: ['cases'] });
    navigate({ name: 'case', id: c.conversationId });
  };
  const decline = async (c: CallOfferView) => {
    drop(c.callId);
    await api(`/phone/calls/${c.callId}/decline`, { method: 'POST', body: {} });
  };
  return (
    <>
      {offers.map((c) => (
        <article key={`call-${c.callId}`} className="offer-card call-offer" data-testid="call-offer" data-call-id={c.callId} aria-labelledby={`call-offer-${c.callId}`}>
          <h2 id={`call-offer-${c.callId}`}>
            <span aria-hidden="true">☎ </span>
            {t('call.incoming')}: <span className="regno">{c.registrationNumber}</span>
          </h2>
          <p>
            <span data-testid="call-caller">{c.citizenName ?? c.caller ?? t('call.withheld')}</span>
            {c.citizenName && c.caller ? ` (${c.caller})` : ''}
            {' · '}
            {c.department ? (lang === 'ro' ? c.department.nameRo : c.department.nameEn) : t('call.operator')}
            {' · '}
            {t(`call.language.${c.language}`)}
          </p>
          {c.queuedAt && <Waited since={c.queuedAt} />} <Countdown expiresAt={c.expiresAt} />
          <div className="buttons">
            <button type="button" className="primary" onClick={() => accept(c).catch((e: Error) => onError(e.message || t('offer.gone')))}>
              {device === 'phone' ? t('call.acceptOnPhone') : t('call.accept')}
            </button>
            <button type="button" onClick={() => decline(c).catch((e: Error) => onError(e.message))}>
              {t('offer.decline')}
            </button>
          </div>
        </article>
      ))}
    </>
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
      <CallOffers onError={setError} />
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
