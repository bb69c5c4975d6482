import type { ChannelKind } from '../../channels/contract';
import type { ConversationStatusName } from '../../server/realtime/contract';

/** Shapes of the HTTP API the console reads (the socket's are in server/realtime/contract.ts). */

export interface Ref {
  id: number;
  code: string;
  nameRo: string;
  nameEn: string;
}

export interface SessionAgent {
  id: number;
  name: string;
  email: string;
  role: 'agent' | 'supervisor' | 'admin';
}

export interface CaseSummary {
  id: number;
  registrationNumber: string;
  registeredAt: string;
  channel: ChannelKind;
  subject: string | null;
  status: ConversationStatusName;
  resolution: string | null;
  priority: number;
  legalBasis: string;
  legalDueDate: string | null;
  internalDueDate: string | null;
  dueAt: string | null;
  slaState: 'none' | 'ok' | 'warning' | 'breached';
  category: (Ref & { groupCode: string }) | null;
  department: Ref | null;
  assignee: { id: number; name: string; role: string } | null;
  citizen: { id: number; name: string | null } | null;
  lastMessageAt: string | null;
  updatedAt: string;
}

export interface AttachmentInfo {
  id: number;
  filename: string;
  contentType: string;
  size: number;
  inline: boolean;
}

export interface TimelineMessage {
  id: number;
  direction: 'inbound' | 'outbound' | 'note';
  channel: ChannelKind | 'internal';
  subject: string | null;
  text: string;
  html: string | null;
  automatic: boolean;
  author: { id: number; name: string } | null;
  deliveryStatus: string | null;
  deliveryError: string | null;
  metadata: Record<string, unknown>;
  attachments: AttachmentInfo[];
  receivedAt: string;
  /** Inbound letters: where the reading is and each page's text (CNPs redacted). */
  letter?: CaseLetter | null;
  /** The letter's original scan exists but this role may not open it. */
  originalScanHidden?: boolean;
}

export interface CaseLetter {
  id: number;
  status: 'received' | 'rejected' | 'ocr' | 'review' | 'released';
  pageCount: number;
  pagesDone: number;
  pages: { pageNo: number; status: 'done' | 'failed'; confidence: number; text: string }[];
}

export interface TimelineEvent {
  id: number;
  type: string;
  actorType: string;
  actorId: number | null;
  data: Record<string, unknown>;
  public: boolean;
  createdAt: string;
}

export type TimelineEntry = { kind: 'message'; at: string; message: TimelineMessage } | { kind: 'event'; at: string; event: TimelineEvent };

export interface CaseDetail extends Omit<CaseSummary, 'citizen'> {
  citizen: { id: number; name: string | null; language: string; identities: { id: number; kind: string; value?: string; verified: boolean }[] } | null;
  location: { lat: number | null; lng: number | null; address: string | null } | null;
  anonymous: boolean;
  answeredAt: string | null;
  fixedAt: string | null;
  resolvedAt: string | null;
  joinedIntoId: number | null;
  timeline: TimelineEntry[];
}

export interface Directory {
  agents: { id: number; name: string; role: string; presence: string; handle: string }[];
  departments: Ref[];
  categories: (Ref & { groupCode: string; departmentId: number | null })[];
}

export interface CannedResponseItem {
  id: number;
  title: string;
  body: string;
  language: 'ro' | 'en';
  shortcut: string | null;
}

export interface SearchHit {
  matchedBy: string[];
  conversation: Omit<CaseSummary, 'priority' | 'legalBasis' | 'internalDueDate' | 'dueAt'>;
}

/** Why the server suggests a case as a duplicate of another (GET /conversations/:id/duplicates). */
export type DuplicateReason =
  | { kind: 'same_citizen' }
  | { kind: 'similar_text'; score: number; words: string[]; sameCategory: boolean; sameDepartment: boolean }
  | { kind: 'nearby'; meters: number };

export interface DuplicateSuggestion {
  conversation: CaseSummary;
  reasons: DuplicateReason[];
}
