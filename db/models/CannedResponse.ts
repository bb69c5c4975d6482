import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Language } from '../../channels/contract';
import type { Agent } from './Agent';
import type { Department } from './Department';
import { DATE_MS } from './json';

/** A reusable answer; `{{variables}}` (name, registration number, legal due date…) are filled on the server per case. */
export class CannedResponse extends Model<InferAttributes<CannedResponse>, InferCreationAttributes<CannedResponse>> {
  declare id: CreationOptional<number>;
  declare title: string;
  declare body: string;
  declare language: CreationOptional<Language>;
  /** Typed in the composer after a slash (`/ack`); unique. */
  declare shortcut: string | null;
  /** Offered first to agents of this department; null for everyone. */
  declare departmentId: ForeignKey<Department['id']> | null;
  declare active: CreationOptional<boolean>;
  declare createdById: ForeignKey<Agent['id']> | null;
  declare updatedById: ForeignKey<Agent['id']> | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCannedResponse(sequelize: Sequelize): void {
  CannedResponse.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      title: { type: DataTypes.STRING(200), allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
      shortcut: { type: DataTypes.STRING(64), allowNull: true, unique: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      createdById: { type: DataTypes.INTEGER, allowNull: true },
      updatedById: { type: DataTypes.INTEGER, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'canned_responses' },
  );
}
