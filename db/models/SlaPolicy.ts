import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { ChannelKind, LegalBasis } from '../../channels/contract';
import { DATE_MS } from './json';

/**
 * Service targets for the cases it matches (null criteria match anything; the most specific active policy wins).
 * Targets are minutes of office time on the business calendar.
 */
export class SlaPolicy extends Model<InferAttributes<SlaPolicy>, InferCreationAttributes<SlaPolicy>> {
  declare id: CreationOptional<number>;
  declare name: string;
  declare active: CreationOptional<boolean>;
  declare categoryId: number | null;
  declare channel: ChannelKind | null;
  declare priority: number | null;
  declare legalBasis: LegalBasis | null;
  declare firstResponseMinutes: number | null;
  declare nextResponseMinutes: number | null;
  declare resolutionMinutes: number | null;
  /** Overrides the calendar's warning share for these cases. */
  declare warnPercent: number | null;
  /** On a breach the case's priority is raised to at least this. */
  declare escalatePriority: number | null;
  /** On a breach the case is taken from its assignee and goes back to the queue. */
  declare reassignOnBreach: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initSlaPolicy(sequelize: Sequelize): void {
  SlaPolicy.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      categoryId: { type: DataTypes.INTEGER, allowNull: true },
      channel: { type: DataTypes.STRING(16), allowNull: true },
      priority: { type: DataTypes.INTEGER, allowNull: true },
      legalBasis: { type: DataTypes.STRING(32), allowNull: true },
      firstResponseMinutes: { type: DataTypes.INTEGER, allowNull: true },
      nextResponseMinutes: { type: DataTypes.INTEGER, allowNull: true },
      resolutionMinutes: { type: DataTypes.INTEGER, allowNull: true },
      warnPercent: { type: DataTypes.INTEGER, allowNull: true },
      escalatePriority: { type: DataTypes.INTEGER, allowNull: true },
      reassignOnBreach: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'sla_policies' },
  );
}
