import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Language } from '../../channels/contract';
import type { Agent } from './Agent';
import type { Conversation } from './Conversation';
import type { Message } from './Message';
import { DATE_MS, jsonColumn } from './json';

/**
 * Where a live call is in Ghișeu's hands: in the IVR, waiting in a queue, offered to an agent, being bridged,
 * bridged, sent to voicemail, or ended. Kept apart from the call's Message (the timeline entry), as a queue
 * entry is kept apart from its conversation.
 */
export type CallRoutingState = 'ivr' | 'queued' | 'offered' | 'bridging' | 'bridged' | 'voicemail' | 'ended';

/** How the agent takes the call: the browser softphone (Twilio Client) or their own phone. */
export type AgentDevice = 'softphone' | 'phone';

/** A call's routing state, keyed by Twilio's CallSid. */
export class PhoneCall extends Model<InferAttributes<PhoneCall>, InferCreationAttributes<PhoneCall>> {
  declare id: CreationOptional<number>;
  declare callSid: string;
  declare messageId: ForeignKey<Message['id']>;
  declare conversationId: ForeignKey<Conversation['id']>;
  declare language: CreationOptional<Language>;
  declare departmentCode: string | null;
  declare queueName: string | null;
  /** Twilio's id of the queue the caller waits in (QU…), learnt from the wait URL. */
  declare queueSid: string | null;
  declare routingState: CreationOptional<CallRoutingState>;
  declare offeredAgentId: ForeignKey<Agent['id']> | null;
  declare offerExpiresAt: Date | null;
  /** Agents who declined or let the offer expire; the next offer skips them. */
  declare declinedAgentIds: CreationOptional<number[]>;
  declare agentId: ForeignKey<Agent['id']> | null;
  declare agentDevice: AgentDevice | null;
  declare queuedAt: Date | null;
  declare bridgedAt: Date | null;
  declare endedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initPhoneCall(sequelize: Sequelize): void {
  PhoneCall.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      callSid: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      messageId: { type: DataTypes.INTEGER, allowNull: false },
      conversationId: { type: DataTypes.INTEGER, allowNull: false },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
      departmentCode: { type: DataTypes.STRING(64), allowNull: true },
      queueName: { type: DataTypes.STRING(64), allowNull: true },
      queueSid: { type: DataTypes.STRING(64), allowNull: true },
      routingState: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'ivr' },
      offeredAgentId: { type: DataTypes.INTEGER, allowNull: true },
      offerExpiresAt: { type: DATE_MS, allowNull: true },
      declinedAgentIds: jsonColumn<number[]>('declinedAgentIds', []),
      agentId: { type: DataTypes.INTEGER, allowNull: true },
      agentDevice: { type: DataTypes.STRING(16), allowNull: true },
      queuedAt: { type: DATE_MS, allowNull: true },
      bridgedAt: { type: DATE_MS, allowNull: true },
      endedAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'phone_calls' },
  );
}
