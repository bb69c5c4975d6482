import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS, jsonColumn } from './json';

/** A date set apart from the weekly pattern by the city hall: an extra closed day, or a recovery Saturday worked. */
export class CalendarDay extends Model<InferAttributes<CalendarDay>, InferCreationAttributes<CalendarDay>> {
  declare id: CreationOptional<number>;
  declare calendarId: number;
  /** `YYYY-MM-DD`, Europe/Bucharest. */
  declare date: string;
  declare kind: 'closed' | 'working';
  declare note: string | null;
  /** Office hours of a working day; empty uses a normal Monday's. */
  declare windows: CreationOptional<{ startMinute: number; endMinute: number }[]>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCalendarDay(sequelize: Sequelize): void {
  CalendarDay.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      calendarId: { type: DataTypes.INTEGER, allowNull: false },
      date: { type: DataTypes.DATEONLY, allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      note: { type: DataTypes.STRING(500), allowNull: true },
      windows: jsonColumn<{ startMinute: number; endMinute: number }[]>('windows', []),
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'calendar_days' },
  );
}
