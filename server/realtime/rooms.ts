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
} as const;
