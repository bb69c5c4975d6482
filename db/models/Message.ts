import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { MessageChannel } from '../../channels/contract';
import type { Agent } from './Agent';
import type { Citizen } from './Citizen';
import type { Conversation } from './Conversation';
import { DATE_MS, jsonColumn } from './json';

export type MessageDirection = 'inbound' | 'outbound' | 'note';
export type DeliveryStatus = 'pending' | 'queued' | 'sent' | 'delivered' | 'failed';

/** One entry of a case's conversation: something the citizen sent, something we sent, or an internal note. */
export class Message extends Model<InferAttributes<Message>, InferCreationAttributes<Message>> {
  declare id: CreationOptional<number>;
  declare conversationId: ForeignKey<Conversation['id']>;
  declare citizenId: ForeignKey<Citizen['id']> | null;
  declare agentId: ForeignKey<Agent['id']> | null;
  declare direction: MessageDirection;
  declare channel: MessageChannel;
  /** The provider's id (Message-ID, MessageSid, CallSid…); unique per channel. */
  declare externalId: string | null;
  declare subject: string | null;
  declare text: string;
  /** Sanitised HTML, for display in a sandboxed frame only. */
  declare html: string | null;
  declare metadata: CreationOptional<Record<string, unknown>>;
  declare automatic: CreationOptional<boolean>;
  declare deliveryStatus: DeliveryStatus | null;
  declare deliveryError: string | null;
  declare deliveryUpdatedAt: Date | null;
  declare receivedAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initMessage(sequelize: Sequelize): void {
  Message.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      citizenId: { type: DataTypes.INTEGER, allowNull: true },
      agentId: { type: DataTypes.INTEGER, allowNull: true },
      direction: { type: DataTypes.STRING(16), allowNull: false },
      channel: { type: DataTypes.STRING(16), allowNull: false },
      externalId: { type: DataTypes.STRING(255), allowNull: true },
      subject: { type: DataTypes.STRING(998), allowNull: true },
      text: { type: DataTypes.TEXT, allowNull: false },
      html: { type: DataTypes.TEXT, allowNull: true },
      metadata: jsonColumn<Record<string, unknown>>('metadata', {}),
      automatic: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      deliveryStatus: { type: DataTypes.STRING(16), allowNull: true },
      deliveryError: { type: DataTypes.TEXT, allowNull: true },
      deliveryUpdatedAt: { type: DATE_MS, allowNull: true },
      receivedAt: { type: DATE_MS, allowNull: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'messages' },
  );
}
