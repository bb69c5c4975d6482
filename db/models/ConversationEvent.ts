import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Conversation } from './Conversation';
import { DATE_MS, jsonColumn } from './json';

export type ActorType = 'system' | 'agent' | 'citizen' | 'integration';

/**
 * The append-only timeline and audit of a case: what happened, who did it. Its ids are increasing, so a
 * client that remembers the last id it saw can ask for everything after it.
 */
export class ConversationEvent extends Model<InferAttributes<ConversationEvent>, InferCreationAttributes<ConversationEvent>> {
  declare id: CreationOptional<number>;
  declare conversationId: ForeignKey<Conversation['id']>;
  /** `noun.verb`, e.g. `conversation.created`, `message.received`, `sla.breached`. */
  declare type: string;
  declare actorType: ActorType;
  declare actorId: number | null;
  declare data: CreationOptional<Record<string, unknown>>;
  /** Shown on the citizen's tracking page. */
  declare public: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initConversationEvent(sequelize: Sequelize): void {
  ConversationEvent.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      type: { type: DataTypes.STRING(64), allowNull: false },
      actorType: { type: DataTypes.STRING(16), allowNull: false },
      actorId: { type: DataTypes.INTEGER, allowNull: true },
      data: jsonColumn<Record<string, unknown>>('data', {}),
      public: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DATE_MS,
    },
    { sequelize, tableName: 'conversation_events', updatedAt: false },
  );
}
