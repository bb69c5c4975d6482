import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * An agent's load is counted per channel on every offer: pending offers by (agentId, state, channel) and active
 * assigned cases by (assigneeId, status, channel). With the channel in the index both counts are read from the
 * index alone, instead of looking up every pending offer's row to check its channel (the candidates query counts
 * this for every available agent). The new index comes first: MariaDB's foreign keys need one on their column.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('offers', ['agentId', 'state', 'channel'], { name: 'offers_agent_channel' });
  await qi.removeIndex('offers', 'offers_agent');
  await qi.addIndex('conversations', ['assigneeId', 'status', 'channel'], { name: 'conversations_assignee_channel' });
  await qi.removeIndex('conversations', 'conversations_assignee');
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('conversations', ['assigneeId', 'status'], { name: 'conversations_assignee' });
  await qi.removeIndex('conversations', 'conversations_assignee_channel');
  await qi.addIndex('offers', ['agentId', 'state'], { name: 'offers_agent' });
  await qi.removeIndex('offers', 'offers_agent_channel');
};
