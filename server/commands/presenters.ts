import type { CannedResponse, Conversation, Message } from '../../db/models';
import type { SearchHit } from './searchConversations';

/** A case's state after a command: what the console patches into its cache before the socket event arrives. */
export function presentCaseState(c: Conversation) {
  return {
    id: c.id,
    registrationNumber: c.registrationNumber,
    status: c.status,
    resolution: c.resolution,
    categoryId: c.categoryId,
    departmentId: c.departmentId,
    assigneeId: c.assigneeId,
    joinedIntoId: c.joinedIntoId,
    firstRespondedAt: c.firstRespondedAt,
    answeredAt: c.answeredAt,
    fixedAt: c.fixedAt,
    resolvedAt: c.resolvedAt,
    closedAt: c.closedAt,
    updatedAt: c.updatedAt,
  };
}

/** A message a command wrote (a reply or a note). */
export function presentWrittenMessage(m: Message) {
  return {
    id: m.id,
    conversationId: m.conversationId,
    direction: m.direction,
    channel: m.channel,
    subject: m.subject,
    text: m.text,
    deliveryStatus: m.deliveryStatus,
    metadata: m.metadata,
    receivedAt: m.receivedAt,
  };
}

/** A canned response for the composer's picker and the admin screen. */
export function presentCannedResponse(r: CannedResponse) {
  return {
    id: r.id,
    title: r.title,
    body: r.body,
    language: r.language,
    shortcut: r.shortcut,
    departmentId: r.departmentId,
    active: r.active,
    updatedAt: r.updatedAt,
  };
}

type WithRefs = Conversation & {
  citizen?: { id: number; name: string | null } | null;
  category?: { id: number; code: string; nameRo: string; nameEn: string } | null;
  department?: { id: number; code: string; nameRo: string; nameEn: string } | null;
  assignee?: { id: number; name: string } | null;
};

/** A search result: the case as a list row and what matched. */
export function presentSearchHit(hit: SearchHit) {
  const c = hit.conversation as WithRefs;
  return {
    matchedBy: hit.matchedBy,
    conversation: {
      id: c.id,
      registrationNumber: c.registrationNumber,
      registeredAt: c.registeredAt,
      channel: c.channel,
      subject: c.subject,
      status: c.status,
      resolution: c.resolution,
      legalDueDate: c.legalDueDate,
      slaState: c.slaState,
      citizen: c.citizen ? { id: c.citizen.id, name: c.citizen.name } : null,
      category: c.category ? { id: c.category.id, code: c.category.code, nameRo: c.category.nameRo, nameEn: c.category.nameEn } : null,
      department: c.department ? { id: c.department.id, code: c.department.code, nameRo: c.department.nameRo, nameEn: c.department.nameEn } : null,
      assignee: c.assignee ? { id: c.assignee.id, name: c.assignee.name } : null,
      lastMessageAt: c.lastMessageAt,
      updatedAt: c.updatedAt,
    },
  };
}
