import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** A number (E.164) that texted STOP: Ghișeu sends it no SMS until it texts START. */
export class SmsOptOut extends Model<InferAttributes<SmsOptOut>, InferCreationAttributes<SmsOptOut>> {
  declare id: CreationOptional<number>;
  declare phone: string;
  declare keyword: string;
  declare optedOutAt: Date;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initSmsOptOut(sequelize: Sequelize): void {
  SmsOptOut.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      phone: { type: DataTypes.STRING(32), allowNull: false, unique: true },
      keyword: { type: DataTypes.STRING(32), allowNull: false },
      optedOutAt: { type: DATE_MS, allowNull: false },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'sms_opt_outs' },
  );
}
