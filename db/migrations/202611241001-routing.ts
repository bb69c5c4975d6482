import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';
import { id, ts, date, ref } from './columns';

/**
 * Routing: a queue entry per case (kept apart from the conversation, with its own state machine), offers
 * (reservations of a case for one agent) and the console sockets of each agent across server processes.
 * The invariants live in these indexes: one entry per case, one pending offer per case (`pendingKey` is the
 * conversation id while the offer is pending and NULL afterwards; NULLs do not collide in a unique index on
 * SQLite nor on MariaDB).
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('queue_entries', {
    id,
    conversationId: { ...ref('conversations', 'CASCADE', false), unique: true },
    departmentId: ref('departments', 'SET NULL', true),
    channel: { type: DataTypes.STRING(16), allowNull: false },
    language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
    priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    dueAt: date(),
    state: { type: DataTypes.STRING(16), allowNull: false },
    offerId: { type: DataTypes.INTEGER, allowNull: true },
    enqueuedAt: ts,
    createdAt: ts,
    updatedAt: ts,
  });
  // Waiting entries of a queue in routing order (priority desc, due date asc, id).
  await qi.addIndex('queue_entries', ['state', 'departmentId', 'priority', 'dueAt', 'id'], { name: 'queue_entries_routing' });

  await qi.createTable('offers', {
    id,
    queueEntryId: ref('queue_entries', 'CASCADE', false),
    conversationId: ref('conversations', 'CASCADE', false),
    agentId: ref('agents', 'CASCADE', false),
    channel: { type: DataTypes.STRING(16), allowNull: false },
    state: { type: DataTypes.STRING(16), allowNull: false },
    pendingKey: { type: DataTypes.INTEGER, allowNull: true },
    reason: { type: DataTypes.STRING(32), allowNull: true },
    expiresAt: ts,
    answeredAt: date(),
    createdAt: ts,
    updatedAt: ts,
  });
  await qi.addIndex('offers', ['pendingKey'], { unique: true, name: 'offers_one_pending_per_case' });
  await qi.addIndex('offers', ['state', 'expiresAt'], { name: 'offers_expiry' });
  await qi.addIndex('offers', ['agentId', 'state'], { name: 'offers_agent' });
  await qi.addIndex('offers', ['conversationId', 'agentId', 'answeredAt'], { name: 'offers_exclusion' });

  await qi.createTable('agent_sockets', {
    socketId: { type: DataTypes.STRING(64), primaryKey: true, allowNull: false },
    agentId: ref('agents', 'CASCADE', false),
    processId: { type: DataTypes.STRING(64), allowNull: false },
    namespace: { type: DataTypes.STRING(32), allowNull: false },
    connectedAt: ts,
    heartbeatAt: ts,
  });
  await qi.addIndex('agent_sockets', ['agentId'], { name: 'agent_sockets_agent' });
  await qi.addIndex('agent_sockets', ['heartbeatAt'], { name: 'agent_sockets_heartbeat' });

  // Set when an agent's last console socket went away; cleared on connect. The sweeper revokes their offers
  // after a grace period (a page reload must not cost an offer).
  await qi.addColumn('agents', 'disconnectedAt', date());
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeColumn('agents', 'disconnectedAt');
  await qi.dropTable('agent_sockets');
  await qi.dropTable('offers');
  await qi.dropTable('queue_entries');
};
