import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { useRealtime } from '../socket/RealtimeProvider';
import type { CannedResponseItem, CaseDetail } from '../types';
import { ErrorText } from '../ui/bits';
import { smsSegments } from '../ui/sms';

const AFTER = ['', 'pending_citizen', 'resolved'] as const;

/** Tells colleagues viewing the case that I type, at most every 3 s, and that I stopped. */
function useTyping(conversationId: number) {
  const { request } = useRealtime();
  const last = useRef(0);
  const stop = useRef<ReturnType<typeof setTimeout> | null>(null);
  return () => {
    const now = Date.now();
    if (now - last.current > 3000) {
      last.current = now;
      request('conversation.typing', { conversationId, typing: true }).catch(() => undefined);
    }
    if (stop.current) clearTimeout(stop.current);
    stop.current = setTimeout(() => {
      last.current = 0;
      request('conversation.typing', { conversationId, typing: false }).catch(() => undefined);
    }, 4000);
  };
}

/** The reply composer: answers on the citizen's channel, with canned responses (filled on the server) and an SMS counter. */
export function Composer({ c }: { c: CaseDetail }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [after, setAfter] = useState<(typeof AFTER)[number]>('');
  const [cannedId, setCannedId] = useState<number | null>(null);
  const [done, setDone] = useState('');
  const typing = useTyping(c.id);
  const canned = useQuery({ queryKey: ['canned'], queryFn: () => api<{ items: CannedResponseItem[] }>('/canned-responses') });
  const send = useMutation({
    mutationFn: () =>
      api(`/conversations/${c.id}/replies`, {
        method: 'POST',
        body: { text, ...(after ? { statusAfter: after } : {}), ...(after === 'resolved' ? { resolution: 'answered' } : {}), ...(cannedId ? { cannedResponseId: cannedId } : {}) },
      }),
    onSuccess: () => {
      setText('');
      setCannedId(null);
      setDone(t('composer.sent'));
      void qc.invalidateQueries({ queryKey: ['case', c.id] });
      void qc.invalidateQueries({ queryKey: ['cases'] });
    },
  });
  const pickCanned = async (id: number) => {
    setCannedId(id || null);
    if (!id) return;
    const r = await api<{ text: string }>(`/canned-responses/${id}/render?conversationId=${c.id}`);
    setText((old) => (old.trim() ? `${old.trimEnd()}\n\n${r.text}` : r.text));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    if (!text.trim()) {
      setDone(t('composer.empty'));
      return;
    }
    send.mutate();
  };
  const sms = c.channel === 'sms' ? smsSegments(text) : null;
  const items = (canned.data?.items ?? []).slice().sort((a, b) => Number(b.language === lang) - Number(a.language === lang));
  return (
    <form className="composer" onSubmit={submit} aria-labelledby={`composer-${c.id}`}>
      <h3 id={`composer-${c.id}`}>{t('composer.reply')}</h3>
      <p className="muted">{t('composer.replyOn', { channel: t(`channel.${c.channel}`) })}</p>
      <label htmlFor="canned">{t('composer.canned')}</label>
      <select id="canned" value={cannedId ?? ''} onChange={(e) => void pickCanned(Number(e.target.value))}>
        <option value="">{t('composer.cannedNone')}</option>
        {items.map((r) => (
          <option key={r.id} value={r.id}>
            {r.title}
            {r.shortcut ? ` (/${r.shortcut})` : ''} · {r.language}
          </option>
        ))}
      </select>
      <label htmlFor="reply-text">{t('composer.text')}</label>
      <textarea
        id="reply-text"
        data-shortcut="reply"
        rows={6}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          typing();
        }}
        aria-describedby={sms ? 'sms-count' : undefined}
      />
      {sms && (
        <p id="sms-count" className="muted" aria-live="polite">
          {t('composer.sms', { chars: sms.units, segments: sms.segments, encoding: sms.encoding })}
        </p>
      )}
      <label htmlFor="after">{t('composer.statusAfter')}</label>
      <select id="after" value={after} onChange={(e) => setAfter(e.target.value as (typeof AFTER)[number])}>
        {AFTER.map((s) => (
          <option key={s} value={s}>
            {s ? t(`status.${s}`) : t('composer.keepStatus')}
          </option>
        ))}
      </select>
      <button type="submit" className="primary" disabled={send.isPending}>
        {t('composer.send')}
      </button>
      <p role="status">{done}</p>
      <ErrorText error={send.error} />
    </form>
  );
}
