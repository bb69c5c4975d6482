import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { ChannelKind, Language } from '../../channels/contract';
import type { Conversation } from './Conversation';
import type { Department } from './Department';
import { DATE_MS } from './json';

/** waiting → offered → (accepted) assigned; offered → waiting on decline/expiry/revoke; any → removed when the case closes. */
export const QUEUE_ENTRY_STATES = ['waiting', 'offered', 'assigned', 'removed'] as const;
export type QueueEntryState = (typeof QUEUE_ENTRY_STATES)[number];

/**
 * A case's place in a queue, kept apart from the conversation (its own state machine). One row per case; the
 * routing fields (department, priority, due date, channel, language) are copied from the case when it is
 * (re)queued so the queue order is one index scan.
 */
export class QueueEntry extends Model<InferAttributes<QueueEntry>, InferCreationAttributes<QueueEntry>> {
  declare id: CreationOptional<number>;
  declare conversationId: ForeignKey<Conversation['id']>;
  /** null: the general queue (the registry). */
  declare departmentId: ForeignKey<Department['id']> | null;
  declare channel: ChannelKind;
  declare language: Language;
  declare priority: number;
  declare dueAt: Date | null;
  declare state: QueueEntryState;
  /** The pending offer while `offered`. */
  declare offerId: number | null;
  declare enqueuedAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initQueueEntry(sequelize: Sequelize): void {
  QueueEntry.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: false, unique: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      channel: { type: DataTypes.STRING(16), allowNull: false },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      dueAt: { type: DATE_MS, allowNull: true },
      state: { type: DataTypes.STRING(16), allowNull: false },
      offerId: { type: DataTypes.INTEGER, allowNull: true },
      enqueuedAt: { type: DATE_MS, allowNull: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'queue_entries' },
  );
}
