import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The candidates query counts every available agent's load in one pass: all pending offers grouped by agent, and
 * all active assigned cases grouped by assignee. These indexes lead with the state, so each pass reads only the
 * pending offers, or only the assigned new and open cases (never the closed ones, never the unassigned backlog),
 * from the index alone.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('offers', ['state', 'agentId', 'channel'], { name: 'offers_state_agent' });
  await qi.addIndex('conversations', ['status', 'assigneeId', 'channel'], { name: 'conversations_status_assignee' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('conversations', 'conversations_status_assignee');
  await qi.removeIndex('offers', 'offers_state_agent');
};
