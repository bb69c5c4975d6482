import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** Finding the calls an agent holds (one voice call at a time) reads phone_calls by agentId under a share lock. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('phone_calls', ['agentId'], { name: 'phone_calls_agent' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('phone_calls', 'phone_calls_agent');
};
