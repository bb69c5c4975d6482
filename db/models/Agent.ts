import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { ChannelKind, Language } from '../../channels/contract';
import { DATE_MS, jsonColumn } from './json';

export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const PRESENCES = ['available', 'busy', 'away', 'offline', 'after_call_work'] as const;
export type Presence = (typeof PRESENCES)[number];

/** How many cases of each channel an agent works at once (voice is always 1). */
export type ChannelCapacity = Partial<Record<ChannelKind, number>>;
export const DEFAULT_CAPACITY: ChannelCapacity = { voice: 1, sms: 4, email: 5, portal: 5, letter: 5, api: 5 };

/** A person who signs in to the console: an agent, a supervisor or an administrator. */
export class Agent extends Model<InferAttributes<Agent>, InferCreationAttributes<Agent>> {
  declare id: CreationOptional<number>;
  declare email: string;
  declare name: string;
  declare passwordHash: string;
  declare role: Role;
  declare languages: CreationOptional<Language[]>;
  declare capacity: CreationOptional<ChannelCapacity>;
  /** Agents without a department restriction serve the general queue (the registry). */
  declare allDepartments: CreationOptional<boolean>;
  declare presence: CreationOptional<Presence>;
  declare presenceChangedAt: Date | null;
  declare lastOfferAt: Date | null;
  declare active: CreationOptional<boolean>;
  declare failedLogins: CreationOptional<number>;
  declare lockedUntil: Date | null;
  declare lastLoginAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initAgent(sequelize: Sequelize): void {
  Agent.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      email: { type: DataTypes.STRING(320), allowNull: false, unique: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      role: { type: DataTypes.STRING(16), allowNull: false },
      languages: jsonColumn<Language[]>('languages', ['ro'], false),
      capacity: jsonColumn<ChannelCapacity>('capacity', DEFAULT_CAPACITY, false),
      allDepartments: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      presence: { type: DataTypes.STRING(24), allowNull: false, defaultValue: 'offline' },
      presenceChangedAt: { type: DATE_MS, allowNull: true },
      lastOfferAt: { type: DATE_MS, allowNull: true },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      failedLogins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lockedUntil: { type: DATE_MS, allowNull: true },
      lastLoginAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'agents' },
  );
}
