/**
 * The realtime contract: every socket.io event between the server and the console, typed once (STYLE.md §6).
 * Types only — the console imports it with `import type`. Event names are `noun.verb`; payloads are views,
 * never raw models. Client→server events are zod-checked on the server and answered with an `Ack`.
 *
 * Catch-up: every server→client payload carries `eventId`. Where the change wrote a ConversationEvent row it
 * is that row's id (ids only grow), otherwise null (presence, queue counts, viewers are live state, not
 * history). The console remembers the highest non-null `eventId` it applied and, after a reconnect, sends
 * `sync.since` with it before it shows anything as current.
 */
import type { Namespace, Server, Socket } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import type { ChannelKind, Language, LegalBasis, MessageChannel } from '../../channels/contract';
import type { WallboardView } from '../sla/views';

// ---------------------------------------------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------------------------------------------

/** An agent's presence (same values as Agent.presence). Only `available` agents receive pushed offers. */
export type PresenceState = 'available' | 'busy' | 'away' | 'offline' | 'after_call_work';

export type ConversationStatusName =
  | 'new' | 'open' | 'pending_citizen' | 'pending_department' | 'resolved' | 'closed' | 'joined' | 'filed_away' | 'spam';

/** A queue: one per department (its id), plus the general queue (the registry) for cases with no department. */
export type QueueId = number | 'general';

/** The state machine of a case's place in a queue (a QueueEntry row, kept apart from the conversation). */
export type QueueEntryState = 'waiting' | 'offered' | 'assigned' | 'removed';

/** The state machine of an offer (one reservation of a case for one agent). */
export type OfferState = 'pending' | 'accepted' | 'declined' | 'expired' | 'revoked';

/** Why an offer went away without the agent accepting it. */
export type OfferRevokeReason =
  | 'disconnected' // all the agent's sockets were gone for longer than the grace period
  | 'presence' // the agent left `available`
  | 'reassigned' // a supervisor assigned the case to someone
  | 'pulled' // the case was taken by pull, or assigned another way
  | 'closed' // the case was closed, joined or marked spam while offered
  | 'declined'; // you (in another tab) declined it

/** Stable machine codes in a failed Ack (the same codes as the HTTP API's errors). */
export type AckErrorCode =
  | 'validation_failed' // the payload does not match the event's schema
  | 'unauthenticated'
  | 'forbidden' // the role or the agent's queues do not allow it
  | 'not_found'
  | 'offer_gone' // the offer was already accepted, declined, expired or revoked
  | 'capacity_full' // accepting would exceed the agent's capacity for the channel
  | 'not_available' // the agent must be `available` (pull) or the case is no longer waiting
  | 'queue_empty'
  | 'conflict'
  | 'rate_limited'
  | 'internal_error';

/** The answer to every client→server event. `message` says what to do next (for the user). */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: AckErrorCode; message: string } };

/** The acknowledgement callback socket.io hands to a client→server handler. */
export type AckCallback<T> = (ack: Ack<T>) => void;

// ---------------------------------------------------------------------------------------------------------------
// Views (what the console shows; ISO 8601 strings for times, Europe/Bucharest applied by the console)
// ---------------------------------------------------------------------------------------------------------------

/** A case as a list row or a header: enough to render inbox, queue and offer cards. */
export interface ConversationSummaryView {
  id: number;
  registrationNumber: string;
  registeredAt: string;
  subject: string | null;
  channel: ChannelKind;
  status: ConversationStatusName;
  priority: number;
  queueId: QueueId;
  departmentId: number | null;
  categoryId: number | null;
  assigneeId: number | null;
  citizenId: number | null;
  citizenName: string | null;
  language: Language;
  legalBasis: LegalBasis;
  /** Dates (YYYY-MM-DD, Europe/Bucharest). */
  legalDueDate: string | null;
  internalDueDate: string | null;
  /** The nearest due moment: the order inside a queue after priority. */
  dueAt: string | null;
  slaState: 'none' | 'ok' | 'warning' | 'breached';
  lastMessageAt: string | null;
  updatedAt: string;
}

/** A pending offer: the case reserved for this agent until `expiresAt`. */
export interface OfferView {
  id: number;
  conversationId: number;
  agentId: number;
  state: OfferState;
  createdAt: string;
  expiresAt: string;
  /** Seconds the agent had to answer when the offer was made (for the countdown). */
  timeoutSeconds: number;
  conversation: ConversationSummaryView;
  /** The first lines of the latest inbound message, for the offer card. */
  preview: string | null;
}

export interface AttachmentView {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  inline: boolean;
}

/** One timeline message. `html` is sanitised and must only be shown in a sandboxed frame without scripts. */
export interface MessageView {
  id: number;
  conversationId: number;
  direction: 'inbound' | 'outbound' | 'note';
  channel: MessageChannel;
  subject: string | null;
  text: string;
  html: string | null;
  agentId: number | null;
  citizenId: number | null;
  automatic: boolean;
  deliveryStatus: 'pending' | 'queued' | 'sent' | 'delivered' | 'failed' | null;
  deliveryError: string | null;
  /** Channel metadata safe to show (call duration, recording id, OCR confidence…). */
  metadata: Record<string, unknown>;
  attachments: AttachmentView[];
  receivedAt: string;
}

/** One ConversationEvent row (the case timeline / audit), as sent during catch-up. */
export interface TimelineEventView {
  id: number;
  conversationId: number;
  type: string;
  actorType: 'system' | 'agent' | 'citizen' | 'integration';
  actorId: number | null;
  data: Record<string, unknown>;
  public: boolean;
  createdAt: string;
}

/** An agent's presence and load, for colleagues' lists and the wallboard. */
export interface AgentPresenceView {
  agentId: number;
  name: string;
  role: 'agent' | 'supervisor' | 'admin';
  presence: PresenceState;
  presenceChangedAt: string | null;
  /** At least one console socket is connected (in any server process). */
  connected: boolean;
  /** Open assigned cases per channel, next to the capacity per channel. */
  load: Partial<Record<ChannelKind, number>>;
  capacity: Partial<Record<ChannelKind, number>>;
  pendingOffers: number;
}

/** Live counts of one queue. */
export interface QueueStatsView {
  queueId: QueueId;
  departmentId: number | null;
  /** Cases waiting (not reserved). */
  waiting: number;
  /** Cases reserved by a pending offer. */
  offered: number;
  /** When the longest-waiting case entered the queue. */
  oldestWaitingSince: string | null;
  /** The nearest due moment among waiting cases. */
  nextDueAt: string | null;
  /** Agents available for this queue right now. */
  agentsAvailable: number;
}

/** Someone else who has the case open, and whether they are typing. */
export interface ViewerView {
  agentId: number;
  name: string;
  typing: boolean;
  since: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Server → client (namespace `/agents`)
// ---------------------------------------------------------------------------------------------------------------

/** A case was reserved for you; accept or decline before `offer.expiresAt`. Sent to room `agent:ID`. */
export interface OfferCreatedPayload { eventId: number; offer: OfferView }
/** An offer made to you went away (see reason); remove its card. */
export interface OfferRevokedPayload { eventId: number | null; offerId: number; conversationId: number; reason: OfferRevokeReason }
/** You did not answer in time; the case goes to the next agent. */
export interface OfferExpiredPayload { eventId: number; offerId: number; conversationId: number }
/**
 * A case you have open or own changed (status, category, department, SLA, a reply queued…): patch or refetch it.
 * Sent at once to `conversation:ID` and the assignee; the queues' other viewers get it within cases.updated.
 */
export interface ConversationUpdatedPayload { eventId: number | null; conversation: ConversationSummaryView; eventTypes: string[] }
/**
 * Cases in queues you see changed: coalesced for a moment (one event per burst, not one per case), so list
 * views refresh once for many changes. `eventId` is the latest timeline row among them.
 */
export interface CasesUpdatedPayload { eventId: number | null; conversations: ConversationSummaryView[] }
/** A case got an owner (accepted offer, pull, supervisor reassignment). */
export interface ConversationAssignedPayload {
  eventId: number;
  conversation: ConversationSummaryView;
  assigneeId: number;
  previousAssigneeId: number | null;
  via: 'offer' | 'pull' | 'reassign';
}
/** A message was added to a case you may see. */
export interface MessageCreatedPayload { eventId: number | null; message: MessageView; conversation: ConversationSummaryView }
/**
 * Agents' presence or load changed: one event per burst (changes are coalesced for a moment). Sockets that see
 * every case get every agent; an agent restricted to departments gets their own view only.
 */
export interface PresenceChangedPayload { eventId: null; agents: AgentPresenceView[] }
/** Counts of the queues in the payload changed (sent to `queue:ID|general` rooms and the wallboard). */
export interface QueueUpdatedPayload { eventId: null; queues: QueueStatsView[] }
/** Who views or types in a case changed. Sent to room `conversation:ID`. */
export interface ViewersChangedPayload { eventId: null; conversationId: number; viewers: ViewerView[] }
/** The client is too far behind (or its last id is unknown): drop cached state and refetch everything. */
export interface SyncRequiredPayload { eventId: null; reason: 'too_far_behind' | 'unknown_event' | 'server_restart'; latestEventId: number }

/** Which clock of a case an SLA alert is about. */
export type SlaClockKind = 'first_response' | 'next_response' | 'resolution' | 'legal';

/** An SLA clock of a case reached its warning share or passed its due moment (the timeline row is written). */
export interface SlaAlertView {
  conversationId: number;
  registrationNumber: string;
  level: 'warning' | 'breached';
  kind: SlaClockKind;
  /** The clock's due moment (ISO); for the legal clock, the end of the office day of the legal deadline. */
  dueAt: string | null;
  /** The legal deadline (YYYY-MM-DD, Europe/Bucharest), when the case has one. */
  legalDueDate: string | null;
  departmentId: number | null;
  departmentName: string | null;
  assigneeId: number | null;
  /** When the alert was raised (the timeline row's time). */
  raisedAt: string;
}

/**
 * An SLA warning or breach. Sent to the case's assignee (`agent:ID`), to the supervisors of its department
 * (`supervisors:ID`), to supervisors of every department and admins (`supervisors:all`, the only ones told
 * about cases without a department), and on `/wallboard`. `eventId` is the `sla.warning` / `sla.breached` timeline row.
 */
export interface SlaAlertPayload { eventId: number | null; alert: SlaAlertView }

/** A live phone call ringing for one agent (server/twilio): the offer card of a call. */
export interface CallOfferView {
  callId: number;
  conversationId: number;
  registrationNumber: string;
  /** The caller's number: in full for supervisors and admins, masked for agents (+407•••••010); null when withheld. */
  caller: string | null;
  /** The caller's name when the citizen is known (a repeat caller). */
  citizenName: string | null;
  department: { code: string; nameRo: string; nameEn: string } | null;
  language: Language;
  /** When the caller entered the queue: the wait so far. */
  queuedAt: string | null;
  offeredAt: string;
  expiresAt: string;
  /** Seconds the agent had to answer when the offer was made (for the countdown). */
  timeoutSeconds: number;
}

/** A call rings for you: accept (it is bridged to your softphone or phone) or decline before `expiresAt`. Room `agent:ID`. */
export interface CallOfferedPayload { eventId: number | null; call: CallOfferView }
/** Why a call offer left your console. */
export type CallOfferEndReason = 'accepted' | 'declined' | 'expired' | 'disconnected' | 'presence' | 'hung_up';
/** A call offered to you is no longer yours to answer (accepted in another tab, declined, missed, the caller hung up…). */
export interface CallOfferEndedPayload { eventId: number | null; callId: number; conversationId: number; reason: CallOfferEndReason }

/** Every event the server sends on `/agents`. */
export interface AgentServerEvents {
  'call.offered': (p: CallOfferedPayload) => void;
  'call.offer_ended': (p: CallOfferEndedPayload) => void;
  'sla.alert': (p: SlaAlertPayload) => void;
  'offer.created': (p: OfferCreatedPayload) => void;
  'offer.revoked': (p: OfferRevokedPayload) => void;
  'offer.expired': (p: OfferExpiredPayload) => void;
  'conversation.updated': (p: ConversationUpdatedPayload) => void;
  'cases.updated': (p: CasesUpdatedPayload) => void;
  'conversation.assigned': (p: ConversationAssignedPayload) => void;
  'message.created': (p: MessageCreatedPayload) => void;
  'presence.changed': (p: PresenceChangedPayload) => void;
  'queue.updated': (p: QueueUpdatedPayload) => void;
  'viewers.changed': (p: ViewersChangedPayload) => void;
  'sync.required': (p: SyncRequiredPayload) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Client → server (namespace `/agents`), each answered with an Ack
// ---------------------------------------------------------------------------------------------------------------

export interface PresenceSetRequest { presence: PresenceState }
export interface OfferAnswerRequest { offerId: number }
export interface OfferDeclineRequest { offerId: number; reason?: string }
/** Take the next eligible case yourself; without queueId, from any queue you serve. */
export interface QueuePullRequest { queueId?: QueueId }
export interface ConversationRef { conversationId: number }
export interface ConversationTypingRequest { conversationId: number; typing: boolean }
export interface SyncSinceRequest { lastEventId: number }

/** What an accepted offer or a pull gives you. */
export interface AssignmentResult { conversation: ConversationSummaryView; eventId: number }

/**
 * The answer to `sync.since`: everything you may see that changed after `lastEventId`, up to `latestEventId`
 * (remember it as your new last id). `sync.required` instead when you are too far behind: refetch.
 * Event ids are allocated before commit, so rows committed late just below `lastEventId` are sent again:
 * apply events by id, idempotently.
 */
export type SyncResult =
  | {
      kind: 'events';
      latestEventId: number;
      /** Timeline rows of cases you may see, in id order. */
      events: TimelineEventView[];
      /** The latest state of every case those rows touched. */
      conversations: ConversationSummaryView[];
      /** Messages created in that range on those cases. */
      messages: MessageView[];
      /** Your pending offers now (a full list, not a delta). */
      offers: OfferView[];
      /** Your presence now. */
      presence: AgentPresenceView;
    }
  | { kind: 'sync.required'; latestEventId: number; reason: SyncRequiredPayload['reason'] };

/** Every event the console sends on `/agents`. */
export interface AgentClientEvents {
  'presence.set': (req: PresenceSetRequest, ack: AckCallback<AgentPresenceView>) => void;
  'offer.accept': (req: OfferAnswerRequest, ack: AckCallback<AssignmentResult>) => void;
  'offer.decline': (req: OfferDeclineRequest, ack: AckCallback<{ offerId: number }>) => void;
  'queue.pull': (req: QueuePullRequest, ack: AckCallback<AssignmentResult>) => void;
  'conversation.view': (req: ConversationRef, ack: AckCallback<{ viewers: ViewerView[] }>) => void;
  'conversation.leave': (req: ConversationRef, ack: AckCallback<null>) => void;
  'conversation.typing': (req: ConversationTypingRequest, ack: AckCallback<null>) => void;
  'sync.since': (req: SyncSinceRequest, ack: AckCallback<SyncResult>) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Namespace `/wallboard` (supervisors and admins)
// ---------------------------------------------------------------------------------------------------------------

/** The whole wallboard at once: every queue and every agent who is not offline or connected. */
export interface WallboardSnapshot { queues: QueueStatsView[]; agents: AgentPresenceView[]; at: string }

/** The supervisors' board (departments, compliance, at-risk and breached lists, volume), computed by SQL. */
export type WallboardBoardView = WallboardView;

/**
 * A fresh board, pushed to every `/wallboard` socket: at most about once a second after domain events (contacts,
 * offers, presence, status changes, SLA alerts), and at least every `maxAgeMs` even when nothing happened, so a
 * screen that stops receiving it knows it is stale. `board.at` is when the figures were computed.
 */
export interface WallboardUpdatedPayload {
  eventId: null;
  board: WallboardBoardView;
  reason: 'change' | 'periodic';
  /** The longest the server lets pass between two pushes (ms); the console treats twice that as lost. */
  maxAgeMs: number;
}

export interface WallboardServerEvents {
  'wallboard.updated': (p: WallboardUpdatedPayload) => void;
  'sla.alert': (p: SlaAlertPayload) => void;
  'queue.updated': (p: QueueUpdatedPayload) => void;
  'presence.changed': (p: PresenceChangedPayload) => void;
  'conversation.assigned': (p: ConversationAssignedPayload) => void;
  'sync.required': (p: SyncRequiredPayload) => void;
}

export interface WallboardClientEvents {
  'wallboard.snapshot': (req: Record<string, never>, ack: AckCallback<WallboardSnapshot>) => void;
  /** The current board at once (at most a few seconds old), e.g. right after connecting or reconnecting. */
  'wallboard.board': (req: Record<string, never>, ack: AckCallback<WallboardBoardView>) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// socket.io generics
// ---------------------------------------------------------------------------------------------------------------

/** Between server processes (through the Redis adapter's serverSideEmit). */
export interface InterServerEvents {
  /** An agent's sockets on some process changed; the routing layer re-checks disconnect grace. */
  'agent.sockets': (p: { agentId: number; connected: boolean }) => void;
}

/** What the handshake puts on `socket.data` (authenticated agent; viewing state for viewers.changed). */
export interface SocketData {
  agentId: number;
  name: string;
  role: 'agent' | 'supervisor' | 'admin';
  departmentIds: number[];
  allDepartments: boolean;
  /** conversationId → since (ISO) and typing flag, for `viewers.changed`. */
  viewing: Record<number, { since: string; typing: boolean }>;
}

/** The socket.io server (its namespaces are typed below). */
export type RealtimeServer = Server<AgentClientEvents, AgentServerEvents, InterServerEvents, SocketData>;
export type AgentsNamespace = Namespace<AgentClientEvents, AgentServerEvents, InterServerEvents, SocketData>;
export type WallboardNamespace = Namespace<WallboardClientEvents, WallboardServerEvents, InterServerEvents, SocketData>;
export type AgentServerSocket = Socket<AgentClientEvents, AgentServerEvents, InterServerEvents, SocketData>;
export type WallboardServerSocket = Socket<WallboardClientEvents, WallboardServerEvents, InterServerEvents, SocketData>;

/** The console's sockets: `io(url + '/agents', { withCredentials: true })` typed with these. */
export type AgentClientSocket = ClientSocket<AgentServerEvents, AgentClientEvents>;
export type WallboardClientSocket = ClientSocket<WallboardServerEvents, WallboardClientEvents>;

/**
 * Namespaces: `/agents` (every signed-in agent) and `/wallboard` (supervisors and admins). Rooms, computed at
 * connect from what the agent may see: `agent:ID` (own offers and cases), `queue:ID` / `queue:general` (queues
 * served), `conversation:ID` (cases assigned to the agent, or opened with `conversation.view`).
 */
export type NamespacePath = '/agents' | '/wallboard';
