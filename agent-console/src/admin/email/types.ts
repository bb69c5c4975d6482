/** What the email admin API (/api/v1/admin) and /healthz answer, as the console reads them. */
export interface MailboxRow {
  id: number;
  name: string;
  host: string;
  port: number;
  secure: boolean;
  tlsInsecure: boolean;
  username: string;
  folder: string;
  processedFolder: string | null;
  active: boolean;
  passwordSet: boolean;
}

/** The database view of one watched mailbox (/healthz channels.email). */
export interface MailboxDbHealth {
  name: string;
  lastFetchAt: string | null;
  lastUid: number | null;
  quarantined: number;
  flagsPending: number;
  watchedBy: string | null;
}

/** The live view of the process that runs the mailbox's watcher (/healthz channels["email:<name>"]). */
export interface MailboxLiveHealth {
  ok: boolean;
  leader: boolean;
  connected: boolean;
  idling: boolean;
  lastFetchAt: string | null;
  waiting: number;
  quarantined: number;
  lastError: string | null;
  reconnects: number;
}

export interface Healthz {
  channels: Record<string, unknown> & { email?: { ok: boolean; mode: 'smtp' | 'outbox'; mailboxes: MailboxDbHealth[] } };
}

export interface QuarantineItem {
  id: number;
  mailbox: string;
  uidValidity: string;
  uid: number;
  subject: string | null;
  from: string | null;
  size: number;
  status: 'quarantined' | 'failing' | 'ingested';
  attempts: number;
  error: string | null;
  messageId: number | null;
  flagPending: boolean;
  createdAt: string;
  updatedAt: string;
}

export type RetryResult = ({ ok: true; messageId: number; conversationId: number } | { ok: false; error: string }) & { flagged: boolean; item: QuarantineItem };

export interface OutboxItem {
  file: string;
  messageId: number;
  size: number;
  writtenAt: string;
  to: string | null;
  subject: string | null;
  externalId: string | null;
}

export interface OutboxView {
  file: string;
  size: number;
  writtenAt: string;
  from: string | null;
  to: string | null;
  cc: string | null;
  subject: string | null;
  date: string | null;
  messageId: string | null;
  headers: { name: string; value: string }[];
  text: string | null;
  html: string | null;
  attachments: { filename: string | null; contentType: string; size: number }[];
}
