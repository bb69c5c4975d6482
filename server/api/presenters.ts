import type { Agent, Attachment, Category, Citizen, CitizenIdentity, Conversation, ConversationEvent, Department, Message } from '../../db/models';
import type { IngestResult } from '../ingest/ingestContact';

/** What the integration API answers for an ingested contact. */
export function presentIngestResult(result: IngestResult) {
  const c = result.conversation;
  return {
    duplicate: result.duplicate,
    threadedBy: result.threadedBy,
    conversationCreated: result.conversationCreated,
    message: { id: result.message.id, externalId: result.message.externalId, channel: result.message.channel, receivedAt: result.message.receivedAt },
    conversation: {
      id: c.id,
      registrationNumber: c.registrationNumber,
      registeredAt: c.registeredAt,
      status: c.status,
      legalBasis: c.legalBasis,
      legalDueDate: c.legalDueDate,
      internalDueDate: c.internalDueDate,
    },
  };
}

// ---- agent API views: what the console sees. Personal data leaves only through these, to signed-in staff. ----

/** The signed-in agent, as the login and session endpoints answer. */
export function presentSessionAgent(agent: Agent) {
  return { id: agent.id, name: agent.name, email: agent.email, role: agent.role };
}

/** A department (queue) as a reference; null means the general queue (registratura). */
export function presentDepartmentRef(department: Department | null | undefined) {
  return department ? { id: department.id, code: department.code, nameRo: department.nameRo, nameEn: department.nameEn } : null;
}

/** A service category as a reference. */
export function presentCategoryRef(category: Category | null | undefined) {
  return category
    ? { id: category.id, code: category.code, nameRo: category.nameRo, nameEn: category.nameEn, groupCode: category.groupCode, locationBased: category.locationBased }
    : null;
}

/** An agent as others see them (an assignee, an author): no email, no security fields. */
export function presentAgentRef(agent: Agent | null | undefined) {
  return agent ? { id: agent.id, name: agent.name, role: agent.role } : null;
}

/** One way to reach a citizen. A CNP is only ever a keyed hash, and even that is not shown: only that one is on file. */
export function presentIdentity(identity: CitizenIdentity) {
  if (identity.kind === 'cnp_hash') return { id: identity.id, kind: identity.kind, verified: identity.verified };
  return { id: identity.id, kind: identity.kind, value: identity.value, verified: identity.verified };
}

type WithConversationRefs = Conversation & { category?: Category | null; department?: Department | null; assignee?: Agent | null; citizen?: Citizen | null };

/** A case in a list (the inbox, a citizen's history). Expects category, department, assignee and citizen loaded. */
export function presentConversationSummary(c: WithConversationRefs) {
  return {
    id: c.id,
    registrationNumber: c.registrationNumber,
    registeredAt: c.registeredAt,
    channel: c.channel,
    subject: c.subject,
    status: c.status,
    resolution: c.resolution,
    priority: c.priority,
    language: c.language,
    anonymous: c.anonymous,
    legalBasis: c.legalBasis,
    legalDueDate: c.legalDueDate,
    internalDueDate: c.internalDueDate,
    dueAt: c.dueAt,
    slaState: c.slaState,
    category: presentCategoryRef(c.category),
    department: presentDepartmentRef(c.department),
    assignee: presentAgentRef(c.assignee),
    citizen: c.citizen ? { id: c.citizen.id, name: c.citizen.name } : null,
    lastMessageAt: c.lastMessageAt,
    lastInboundAt: c.lastInboundAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** Attachment metadata; the file is content-addressed on disk and its location never leaves the server. */
export function presentAttachment(a: Attachment) {
  return { id: a.id, filename: a.filename, contentType: a.contentType, declaredType: a.declaredType, size: Number(a.size), inline: a.inline, contentId: a.contentId };
}

const PATH_KEY = /(path|dir|directory|file(name)?s?|storage)$/i;
const ABSOLUTE_PATH = /^(\/|[A-Za-z]:[\\/]|\\\\|file:)/;

/** Channel metadata without anything that points into the server's file system. */
function publicMetadata(value: unknown, depth = 0): unknown {
  if (depth > 5) return undefined;
  if (typeof value === 'string') return ABSOLUTE_PATH.test(value) ? undefined : value;
  if (Array.isArray(value)) return value.map((v) => publicMetadata(v, depth + 1)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (PATH_KEY.test(k) && typeof v === 'string') continue;
      const shown = publicMetadata(v, depth + 1);
      if (shown !== undefined) out[k] = shown;
    }
    return out;
  }
  return value;
}

type MessageWithRefs = Message & { attachments?: Attachment[]; agent?: Agent | null };

/** A message of the timeline; `html` is sanitised and meant for a sandboxed frame. */
export function presentMessage(m: MessageWithRefs) {
  return {
    id: m.id,
    direction: m.direction,
    channel: m.channel,
    subject: m.subject,
    text: m.text,
    html: m.html,
    automatic: m.automatic,
    author: m.direction === 'inbound' ? null : presentAgentRef(m.agent),
    deliveryStatus: m.deliveryStatus,
    deliveryError: m.deliveryError,
    deliveryUpdatedAt: m.deliveryUpdatedAt,
    metadata: publicMetadata(m.metadata) as Record<string, unknown>,
    attachments: (m.attachments ?? []).map(presentAttachment),
    receivedAt: m.receivedAt,
  };
}

/** An event of the timeline (status change, assignment, SLA warning…). */
export function presentEvent(e: ConversationEvent) {
  return { id: e.id, type: e.type, actorType: e.actorType, actorId: e.actorId, data: e.data, public: e.public, createdAt: e.createdAt };
}

export type TimelineEntry =
  | { kind: 'message'; at: Date; message: ReturnType<typeof presentMessage> }
  | { kind: 'event'; at: Date; event: ReturnType<typeof presentEvent> };

/**
 * One timeline across channels: messages (at the time they were received or written) and events (at the
 * time they were recorded), oldest first. On a tie a message comes before the events it caused.
 */
export function presentTimeline(messages: MessageWithRefs[], events: ConversationEvent[]): TimelineEntry[] {
  const entries: (TimelineEntry & { order: number; id: number })[] = [
    ...messages.map((m) => ({ kind: 'message' as const, at: m.receivedAt, message: presentMessage(m), order: 0, id: m.id })),
    ...events.map((e) => ({ kind: 'event' as const, at: e.createdAt, event: presentEvent(e), order: 1, id: e.id })),
  ];
  entries.sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order || a.id - b.id);
  return entries.map(({ order: _order, id: _id, ...entry }) => entry as TimelineEntry);
}

type CitizenWithIdentities = Citizen & { identities?: CitizenIdentity[] };

/** A citizen as the case screen shows them: name, language and the ways to reach them. */
export function presentCitizenSummary(c: CitizenWithIdentities | null | undefined) {
  if (!c) return null;
  return { id: c.id, name: c.name, language: c.language, mergedIntoId: c.mergedIntoId, identities: (c.identities ?? []).map(presentIdentity) };
}

/** A case with its people, queue and one cross-channel timeline. */
export function presentConversationDetail(
  c: WithConversationRefs & { citizen?: CitizenWithIdentities | null },
  messages: MessageWithRefs[],
  events: ConversationEvent[],
) {
  return {
    ...presentConversationSummary(c),
    citizen: presentCitizenSummary(c.citizen),
    location: c.locationLat !== null && c.locationLng !== null ? { lat: c.locationLat, lng: c.locationLng, address: c.address } : c.address ? { lat: null, lng: null, address: c.address } : null,
    legalExtendedAt: c.legalExtendedAt,
    firstResponseDueAt: c.firstResponseDueAt,
    nextResponseDueAt: c.nextResponseDueAt,
    resolutionDueAt: c.resolutionDueAt,
    slaPausedAt: c.slaPausedAt,
    firstRespondedAt: c.firstRespondedAt,
    answeredAt: c.answeredAt,
    fixedAt: c.fixedAt,
    resolvedAt: c.resolvedAt,
    closedAt: c.closedAt,
    joinedIntoId: c.joinedIntoId,
    timeline: presentTimeline(messages, events),
  };
}

/** A citizen with every way to reach them and their cases, newest first. */
export function presentCitizen(c: CitizenWithIdentities, conversations: WithConversationRefs[]) {
  return {
    ...presentCitizenSummary(c)!,
    createdAt: c.createdAt,
    conversations: conversations.map((conversation) => ({ ...presentConversationSummary(conversation), citizen: { id: c.id, name: c.name } })),
  };
}

/** A suggested duplicate of a case: the case as in a list, and why it is suggested. */
export function presentDuplicateSuggestion(s: { conversation: WithConversationRefs; reasons: unknown[] }) {
  return { conversation: presentConversationSummary(s.conversation), reasons: s.reasons };
}
