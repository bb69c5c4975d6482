import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The wallboard's per-department aggregate over open cases reads only this index (no row lookups): on a
 * million cases with tens of thousands open, that is what keeps the snapshot within its budget.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('conversations', ['status', 'departmentId', 'assigneeId', 'channel', 'slaState', 'dueAt', 'lastInboundAt', 'registeredAt'], {
    name: 'conversations_board',
  });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('conversations', 'conversations_board');
};
