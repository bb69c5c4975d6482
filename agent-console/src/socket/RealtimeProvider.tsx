import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { io } from 'socket.io-client';
import { api } from '../api';
import type { CaseDetail, Directory } from '../types';
import { SlaAlertNotices } from '../wallboard/SlaAlertNotices';
import type {
  Ack,
  AgentClientEvents,
  AgentClientSocket,
  AgentPresenceView,
  CallOfferView,
  OfferView,
  QueueStatsView,
  SlaAlertView,
  SyncResult,
  ViewerView,
} from '../../../server/realtime/contract';
import { followBrowserConnection } from './followBrowserConnection';
import { withSlaAlert } from './slaAlertList';

/** `live` only after a (re)connect has caught up through `sync.since`; everything else shows the banner. */
export type ConnectionState = 'connecting' | 'syncing' | 'live' | 'offline';

export interface MeData {
  presence: AgentPresenceView | null;
  offers: OfferView[];
}

type AckData<E extends keyof AgentClientEvents> = Parameters<AgentClientEvents[E]>[1] extends (ack: Ack<infer T>) => void ? T : never;

/** A colleague mentioned me in a note on a case. */
export interface MentionNotice {
  messageId: number;
  conversationId: number;
  registrationNumber: string;
  byAgentId: number | null;
}

interface Realtime {
  state: ConnectionState;
  mentions: MentionNotice[];
  dismissMention(messageId: number): void;
  /** Sends a client→server event and resolves with its Ack's data (rejects with its error). */
  request<E extends keyof AgentClientEvents>(event: E, payload: Parameters<AgentClientEvents[E]>[0]): Promise<AckData<E>>;
  viewers(conversationId: number): ViewerView[];
}

const Ctx = createContext<Realtime | null>(null);
const LAST_ID_KEY = 'ghiseu.lastEventId';
/** At most this many SLA alerts stay on screen (the oldest go first). */

/** An error from an Ack, with its stable code. */
export class AckError extends Error {
  constructor(public readonly code: string, message: string) {
    super(message);
  }
}

function patchMe(qc: QueryClient, fn: (me: MeData) => MeData): void {
  qc.setQueryData<MeData>(['me'], (old) => fn(old ?? { presence: null, offers: [] }));
}

function touchCases(qc: QueryClient, ids: number[]): void {
  for (const id of new Set(ids)) void qc.invalidateQueries({ queryKey: ['case', id] });
  void qc.invalidateQueries({ queryKey: ['cases'] });
  void qc.invalidateQueries({ queryKey: ['citizen'] });
  void qc.invalidateQueries({ queryKey: ['search'] });
}

/**
 * The one socket of the console (namespace /agents, typed by the server's contract). Socket events patch or
 * invalidate the react-query cache — the cache stays the only source of truth. After every (re)connect the
 * console asks `sync.since` with the last event id it applied and shows the state as current only then.
 */
export function RealtimeProvider({ children, agentId }: { children: ReactNode; agentId: number }) {
  const qc = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');
  const [viewers, setViewers] = useState<Record<number, ViewerView[]>>({});
  const [mentions, setMentions] = useState<MentionNotice[]>([]);
  const [slaAlerts, setSlaAlerts] = useState<SlaAlertView[]>([]);
  const socketRef = useRef<AgentClientSocket | null>(null);
  const lastEventId = useRef<number>(Number(sessionStorage.getItem(LAST_ID_KEY) ?? 0) || 0);

  const seen = useCallback((eventId: number | null | undefined) => {
    if (typeof eventId === 'number' && eventId > lastEventId.current) {
      lastEventId.current = eventId;
      sessionStorage.setItem(LAST_ID_KEY, String(eventId));
    }
  }, []);

  useEffect(() => {
    const socket: AgentClientSocket = io('/agents', { withCredentials: true, autoConnect: false, reconnectionDelay: 300, reconnectionDelayMax: 2000 });
    socketRef.current = socket;

    const catchUp = () => {
      setState('syncing');
      // Ringing calls are not in sync.since: refetch the full list (it is short).
      void qc.invalidateQueries({ queryKey: ['phoneCalls'] });
      socket.timeout(10_000).emit('sync.since', { lastEventId: lastEventId.current }, (err: Error | null, ack: Ack<SyncResult>) => {
        if (err || !ack?.ok) {
          // No answer: refetch everything rather than show state that may be stale.
          void qc.invalidateQueries();
          if (socket.connected) setState('live');
          return;
        }
        const result = ack.data;
        if (result.kind === 'sync.required') {
          void qc.invalidateQueries();
        } else {
          patchMe(qc, (me) => ({ ...me, offers: result.offers, presence: result.presence }));
          touchCases(qc, [...result.conversations.map((c) => c.id), ...result.events.map((e) => e.conversationId)]);
          void qc.invalidateQueries({ queryKey: ['me'] });
        }
        lastEventId.current = Math.max(lastEventId.current, result.latestEventId);
        sessionStorage.setItem(LAST_ID_KEY, String(lastEventId.current));
        if (socket.connected) setState('live');
      });
    };

    socket.on('connect', catchUp);
    socket.on('disconnect', () => setState('offline'));
    socket.on('connect_error', () => setState('offline'));

    socket.on('offer.created', (p) => {
      seen(p.eventId);
      patchMe(qc, (me) => ({ ...me, offers: [...me.offers.filter((o) => o.id !== p.offer.id), p.offer] }));
    });
    socket.on('offer.revoked', (p) => {
      seen(p.eventId);
      patchMe(qc, (me) => ({ ...me, offers: me.offers.filter((o) => o.id !== p.offerId) }));
      touchCases(qc, [p.conversationId]);
    });
    socket.on('offer.expired', (p) => {
      seen(p.eventId);
      patchMe(qc, (me) => ({ ...me, offers: me.offers.filter((o) => o.id !== p.offerId) }));
    });
    // Live calls ringing for me (the phone channel): the cache of GET /phone/calls/mine.
    socket.on('call.offered', (p) => {
      seen(p.eventId);
      qc.setQueryData<{ offers: CallOfferView[] }>(['phoneCalls'], (old) => ({ ...old, offers: [...(old?.offers ?? []).filter((c) => c.callId !== p.call.callId), p.call] }));
    });
    socket.on('call.offer_ended', (p) => {
      seen(p.eventId);
      qc.setQueryData<{ offers: CallOfferView[] }>(['phoneCalls'], (old) => (old ? { ...old, offers: old.offers.filter((c) => c.callId !== p.callId) } : old));
    });
    socket.on('conversation.updated', (p) => {
      seen(p.eventId);
      touchCases(qc, [p.conversation.id]);
    });
    socket.on('cases.updated', (p) => {
      seen(p.eventId);
      touchCases(qc, p.conversations.map((c) => c.id));
    });
    socket.on('conversation.assigned', (p) => {
      seen(p.eventId);
      touchCases(qc, [p.conversation.id]);
    });
    socket.on('message.created', (p) => {
      seen(p.eventId);
      touchCases(qc, [p.message.conversationId]);
      if (p.message.direction !== 'note' || p.message.agentId === agentId) return;
      // Socket views carry no mention list; the case's timeline (fetched into the cache anyway) does.
      const notice = { messageId: p.message.id, conversationId: p.conversation.id, registrationNumber: p.conversation.registrationNumber, byAgentId: p.message.agentId };
      void qc
        .fetchQuery({ queryKey: ['case', notice.conversationId], queryFn: () => api<CaseDetail>(`/conversations/${notice.conversationId}`), staleTime: 0 })
        .then((c) => {
          const note = c.timeline.find((e) => e.kind === 'message' && e.message.id === notice.messageId);
          const mentioned = note?.kind === 'message' ? (note.message.metadata as { mentionedAgentIds?: unknown }).mentionedAgentIds : undefined;
          if (Array.isArray(mentioned) && mentioned.includes(agentId)) setMentions((m) => (m.some((x) => x.messageId === notice.messageId) ? m : [...m, notice]));
        })
        .catch(() => undefined);
    });
    socket.on('presence.changed', (p) => {
      const byId = new Map(p.agents.map((a) => [a.agentId, a]));
      patchMe(qc, (me) => (me.presence && byId.has(me.presence.agentId) ? { ...me, presence: byId.get(me.presence.agentId)! } : me));
      // The pickers show colleagues' presence: patched in place (refetching on every burst would load the server for nothing).
      qc.setQueryData<Directory>(['directory'], (dir) =>
        dir && p.agents.some((a) => dir.agents.some((d) => d.id === a.agentId && d.presence !== a.presence))
          ? { ...dir, agents: dir.agents.map((d) => (byId.has(d.id) ? { ...d, presence: byId.get(d.id)!.presence } : d)) }
          : dir,
      );
    });
    socket.on('queue.updated', (p) => {
      qc.setQueryData<QueueStatsView[]>(['queueStats'], (old) => {
        const map = new Map((old ?? []).map((q) => [String(q.queueId), q]));
        for (const q of p.queues) map.set(String(q.queueId), q);
        return [...map.values()];
      });
      void qc.invalidateQueries({ queryKey: ['cases'] });
    });
    socket.on('sla.alert', (p) => {
      seen(p.eventId);
      setSlaAlerts((list) => withSlaAlert(list, p.alert));
      touchCases(qc, [p.alert.conversationId]); // the wallboard's lists follow with its next push
    });
    socket.on('viewers.changed', (p) => setViewers((v) => ({ ...v, [p.conversationId]: p.viewers })));
    socket.on('sync.required', (p) => {
      lastEventId.current = p.latestEventId;
      sessionStorage.setItem(LAST_ID_KEY, String(p.latestEventId));
      void qc.invalidateQueries();
    });

    const stopFollowing = followBrowserConnection(socket, () => setState('offline'));
    return () => {
      socket.removeAllListeners();
      stopFollowing();
      socketRef.current = null;
    };
  }, [qc, seen, agentId]);

  const request = useCallback(<E extends keyof AgentClientEvents>(event: E, payload: Parameters<AgentClientEvents[E]>[0]) => {
    return new Promise<AckData<E>>((resolve, reject) => {
      const socket = socketRef.current;
      if (!socket?.connected) {
        reject(new AckError('offline', 'Not connected to the server; wait for the connection to come back.'));
        return;
      }
      const op = socket.timeout(10_000) as unknown as { emit(e: string, p: unknown, cb: (err: Error | null, ack: Ack<AckData<E>>) => void): void };
      op.emit(event, payload, (err, ack) => {
        if (err) reject(new AckError('timeout', 'The server did not answer in time; try again.'));
        else if (ack.ok) resolve(ack.data);
        else reject(new AckError(ack.error.code, ack.error.message));
      });
    });
  }, []);

  const dismissMention = useCallback((messageId: number) => setMentions((m) => m.filter((x) => x.messageId !== messageId)), []);
  const value = useMemo<Realtime>(
    () => ({ state, request, viewers: (id) => viewers[id] ?? [], mentions, dismissMention }),
    [state, request, viewers, mentions, dismissMention],
  );
  const dismissSlaAlert = useCallback((alert: SlaAlertView) => setSlaAlerts((list) => list.filter((a) => a !== alert)), []);
  return (
    <Ctx.Provider value={value}>
      {children}
      <SlaAlertNotices alerts={slaAlerts} dismiss={dismissSlaAlert} />
    </Ctx.Provider>
  );
}

export function useRealtime(): Realtime {
  const v = useContext(Ctx);
  if (!v) throw new Error('useRealtime outside RealtimeProvider');
  return v;
}
