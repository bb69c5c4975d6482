import type { QueueId } from './contract';

/** Room names (`kind:id`). */
export const rooms = {
  agent: (agentId: number) => `agent:${agentId}`,
  queue: (queueId: QueueId) => `queue:${queueId}`,
  conversation: (conversationId: number) => `conversation:${conversationId}`,
  /** Sockets that may see every case (supervisors, admins, agents without a department restriction). */
  everything: 'scope:all',
  /** Who is looking at a case right now (viewers.changed is computed from this room's sockets). */
  viewing: (conversationId: number) => `viewing:${conversationId}`,
  /** Supervisors of one department, told about its cases' SLA alerts. */
  supervisors: (departmentId: number) => `supervisors:${departmentId}`,
  /** Admins and supervisors of every department: told about every SLA alert (the only ones for cases without one). */
  allSupervisors: 'supervisors:all',
} as const;
