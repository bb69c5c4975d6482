import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { ChannelKind, Language, LegalBasis } from '../../channels/contract';
import type { Agent } from './Agent';
import type { Category } from './Category';
import type { Citizen } from './Citizen';
import type { Department } from './Department';
import { DATE_MS } from './json';

export const CONVERSATION_STATUSES = [
  'new', 'open', 'pending_citizen', 'pending_department', 'resolved', 'closed', 'joined', 'filed_away', 'spam',
] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** Statuses in which a case still needs work (it waits in a queue or sits with an agent). */
export const OPEN_STATUSES: readonly ConversationStatus[] = ['new', 'open', 'pending_citizen', 'pending_department'];

/** How a resolved case was resolved: an answer sent is not the same as the problem fixed. */
export type Resolution = 'answered' | 'fixed' | 'rejected' | 'forwarded';

export type SlaState = 'none' | 'ok' | 'warning' | 'breached';

/** The case: one registered request, with its number, deadline, queue and owner. */
export class Conversation extends Model<InferAttributes<Conversation>, InferCreationAttributes<Conversation>> {
  declare id: CreationOptional<number>;
  declare registrationYear: number;
  declare registrationSeq: number;
  /** `seq/year`, e.g. `1234/2026`: the number the law's register shows. */
  declare registrationNumber: string;
  declare registeredAt: Date;
  declare citizenId: ForeignKey<Citizen['id']> | null;
  declare channel: ChannelKind;
  declare subject: string | null;
  declare categoryId: ForeignKey<Category['id']> | null;
  declare departmentId: ForeignKey<Department['id']> | null;
  declare priority: CreationOptional<number>;
  declare status: CreationOptional<ConversationStatus>;
  declare resolution: Resolution | null;
  declare assigneeId: ForeignKey<Agent['id']> | null;
  declare language: CreationOptional<Language>;
  declare anonymous: CreationOptional<boolean>;
  declare legalBasis: CreationOptional<LegalBasis>;
  declare locationLat: number | null;
  declare locationLng: number | null;
  declare address: string | null;
  /** Last day to answer under the law (a date, Europe/Bucharest), and the internal target before it. */
  declare legalDueDate: string | null;
  declare internalDueDate: string | null;
  declare legalExtendedAt: Date | null;
  declare firstResponseDueAt: Date | null;
  declare nextResponseDueAt: Date | null;
  declare resolutionDueAt: Date | null;
  /** The nearest due moment of the case: the routing order inside a queue after priority. */
  declare dueAt: Date | null;
  declare slaState: CreationOptional<SlaState>;
  declare slaPausedAt: Date | null;
  declare firstRespondedAt: Date | null;
  declare answeredAt: Date | null;
  declare fixedAt: Date | null;
  declare resolvedAt: Date | null;
  declare closedAt: Date | null;
  declare joinedIntoId: number | null;
  declare portalTokenHash: string | null;
  declare lastMessageAt: Date | null;
  declare lastInboundAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initConversation(sequelize: Sequelize): void {
  Conversation.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      registrationYear: { type: DataTypes.INTEGER, allowNull: false },
      // Null only inside the ingest transaction, until the number is taken at its end.
    registrationSeq: { type: DataTypes.INTEGER, allowNull: true },
      registrationNumber: { type: DataTypes.STRING(32), allowNull: true, unique: true },
      registeredAt: { type: DATE_MS, allowNull: false },
      citizenId: { type: DataTypes.INTEGER, allowNull: true },
      channel: { type: DataTypes.STRING(16), allowNull: false },
      subject: { type: DataTypes.STRING(998), allowNull: true },
      categoryId: { type: DataTypes.INTEGER, allowNull: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      priority: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      status: { type: DataTypes.STRING(24), allowNull: false, defaultValue: 'new' },
      resolution: { type: DataTypes.STRING(16), allowNull: true },
      assigneeId: { type: DataTypes.INTEGER, allowNull: true },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
      anonymous: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      legalBasis: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'none' },
      locationLat: { type: DataTypes.DOUBLE, allowNull: true },
      locationLng: { type: DataTypes.DOUBLE, allowNull: true },
      address: { type: DataTypes.STRING(500), allowNull: true },
      legalDueDate: { type: DataTypes.DATEONLY, allowNull: true },
      internalDueDate: { type: DataTypes.DATEONLY, allowNull: true },
      legalExtendedAt: { type: DATE_MS, allowNull: true },
      firstResponseDueAt: { type: DATE_MS, allowNull: true },
      nextResponseDueAt: { type: DATE_MS, allowNull: true },
      resolutionDueAt: { type: DATE_MS, allowNull: true },
      dueAt: { type: DATE_MS, allowNull: true },
      slaState: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'none' },
      slaPausedAt: { type: DATE_MS, allowNull: true },
      firstRespondedAt: { type: DATE_MS, allowNull: true },
      answeredAt: { type: DATE_MS, allowNull: true },
      fixedAt: { type: DATE_MS, allowNull: true },
      resolvedAt: { type: DATE_MS, allowNull: true },
      closedAt: { type: DATE_MS, allowNull: true },
      joinedIntoId: { type: DataTypes.INTEGER, allowNull: true },
      portalTokenHash: { type: DataTypes.STRING(64), allowNull: true },
      lastMessageAt: { type: DATE_MS, allowNull: true },
      lastInboundAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'conversations' },
  );
}
