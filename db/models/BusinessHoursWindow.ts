import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** One stretch of office hours on a weekday (0 = Sunday … 6 = Saturday), minutes after local midnight. */
export class BusinessHoursWindow extends Model<InferAttributes<BusinessHoursWindow>, InferCreationAttributes<BusinessHoursWindow>> {
  declare id: CreationOptional<number>;
  declare calendarId: number;
  declare weekday: number;
  declare startMinute: number;
  declare endMinute: number;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initBusinessHoursWindow(sequelize: Sequelize): void {
  BusinessHoursWindow.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      calendarId: { type: DataTypes.INTEGER, allowNull: false },
      weekday: { type: DataTypes.INTEGER, allowNull: false },
      startMinute: { type: DataTypes.INTEGER, allowNull: false },
      endMinute: { type: DataTypes.INTEGER, allowNull: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'business_hours_windows' },
  );
}
