import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * One row per timeline event the citizen was (or is being) notified about. The unique eventId is the claim:
 * two processes or a retried job racing on one event insert once, so the citizen gets one message.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('citizen_notifications', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    eventId: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'conversation_events', key: 'id' },
      onDelete: 'CASCADE',
      onUpdate: 'CASCADE',
    },
    messageId: {
      type: DataTypes.INTEGER,
      allowNull: true,
      references: { model: 'messages', key: 'id' },
      onDelete: 'SET NULL',
      onUpdate: 'CASCADE',
    },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('citizen_notifications', ['eventId'], { unique: true, name: 'citizen_notifications_event' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('citizen_notifications');
};
