import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** The institution's calendar settings (one row, id 1): the internal margin before legal deadlines, the warning share. */
export class BusinessCalendarRow extends Model<InferAttributes<BusinessCalendarRow>, InferCreationAttributes<BusinessCalendarRow>> {
  declare id: CreationOptional<number>;
  declare name: string;
  /** Working days between the internal target and the legal deadline. */
  declare legalMarginWorkingDays: CreationOptional<number>;
  /** Share of an SLA target, in percent, at which `sla.warning` is raised. */
  declare warnPercent: CreationOptional<number>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initBusinessCalendarRow(sequelize: Sequelize): void {
  BusinessCalendarRow.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: false },
      legalMarginWorkingDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 2 },
      warnPercent: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 80 },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'business_calendars' },
  );
}
