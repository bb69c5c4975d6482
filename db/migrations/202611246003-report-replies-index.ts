import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** Replies per agent over a period, answered from the index alone (direction was read from the rows). */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('messages', ['receivedAt', 'direction', 'agentId'], { name: 'messages_received_direction_agent' });
  await qi.removeIndex('messages', 'messages_received_agent');
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('messages', ['receivedAt', 'agentId'], { name: 'messages_received_agent' });
  await qi.removeIndex('messages', 'messages_received_direction_agent');
};
