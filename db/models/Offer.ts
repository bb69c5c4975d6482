import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { ChannelKind } from '../../channels/contract';
import type { Agent } from './Agent';
import type { Conversation } from './Conversation';
import type { QueueEntry } from './QueueEntry';
import { DATE_MS } from './json';

export const OFFER_STATES = ['pending', 'accepted', 'declined', 'expired', 'revoked'] as const;
export type OfferState = (typeof OFFER_STATES)[number];

/**
 * A reservation of a case for one agent until `expiresAt`. `pendingKey` equals the conversation id while the
 * offer is pending and is NULL afterwards; its unique index makes a second pending offer for the same case
 * impossible, whatever the number of server processes.
 */
export class Offer extends Model<InferAttributes<Offer>, InferCreationAttributes<Offer>> {
  declare id: CreationOptional<number>;
  declare queueEntryId: ForeignKey<QueueEntry['id']>;
  declare conversationId: ForeignKey<Conversation['id']>;
  declare agentId: ForeignKey<Agent['id']>;
  declare channel: ChannelKind;
  declare state: OfferState;
  declare pendingKey: number | null;
  /** Why it ended without acceptance (decline reason, revoke reason). */
  declare reason: string | null;
  declare expiresAt: Date;
  declare answeredAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initOffer(sequelize: Sequelize): void {
  Offer.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      queueEntryId: { type: DataTypes.INTEGER, allowNull: false },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      agentId: { type: DataTypes.INTEGER, allowNull: false },
      channel: { type: DataTypes.STRING(16), allowNull: false },
      state: { type: DataTypes.STRING(16), allowNull: false },
      pendingKey: { type: DataTypes.INTEGER, allowNull: true, unique: true },
      reason: { type: DataTypes.STRING(32), allowNull: true },
      expiresAt: { type: DATE_MS, allowNull: false },
      answeredAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'offers' },
  );
}
