import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** One choice of the phone menu: a key (and spoken keywords) leading to a department's call queue. */
export class IvrMenuEntry extends Model<InferAttributes<IvrMenuEntry>, InferCreationAttributes<IvrMenuEntry>> {
  declare id: CreationOptional<number>;
  /** The key the caller presses ('0'–'8'; '9' chooses English, '*' repeats). */
  declare digit: string;
  /** Comma-separated words that select this entry when spoken (Romanian, English). */
  declare keywordsRo: CreationOptional<string>;
  declare keywordsEn: CreationOptional<string>;
  /** Read in the menu: "Pentru {labelRo}, apăsați {digit}." / "For {labelEn}, press {digit}." */
  declare labelRo: string;
  declare labelEn: string;
  /** The department the call's case goes to (null: the general operator queue). */
  declare departmentCode: string | null;
  /** The Twilio queue name the caller waits in. */
  declare queueName: string;
  declare sortOrder: CreationOptional<number>;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initIvrMenuEntry(sequelize: Sequelize): void {
  IvrMenuEntry.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      digit: { type: DataTypes.STRING(2), allowNull: false, unique: true },
      keywordsRo: { type: DataTypes.STRING(500), allowNull: false, defaultValue: '' },
      keywordsEn: { type: DataTypes.STRING(500), allowNull: false, defaultValue: '' },
      labelRo: { type: DataTypes.STRING(200), allowNull: false },
      labelEn: { type: DataTypes.STRING(200), allowNull: false },
      departmentCode: { type: DataTypes.STRING(64), allowNull: true },
      queueName: { type: DataTypes.STRING(64), allowNull: false },
      sortOrder: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'ivr_menu_entries' },
  );
}
