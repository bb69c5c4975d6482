import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The citizen's rating of a resolved case (one per case, enforced by a unique index), and an index on
 * registration time for the public map and Open311's date-range queries.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('ratings', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    conversationId: {
      type: DataTypes.INTEGER,
      allowNull: false,
      references: { model: 'conversations', key: 'id' },
      onDelete: 'CASCADE',
      onUpdate: 'CASCADE',
    },
    score: { type: DataTypes.INTEGER, allowNull: false },
    comment: { type: DataTypes.TEXT, allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('ratings', ['conversationId'], { unique: true, name: 'ratings_conversation' });
  await qi.addIndex('conversations', ['registeredAt', 'id'], { name: 'conversations_registered_at' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('conversations', 'conversations_registered_at');
  await qi.dropTable('ratings');
};
