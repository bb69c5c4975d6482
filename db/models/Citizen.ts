import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Language } from '../../channels/contract';

/** A person who contacts the city hall; reachable through several CitizenIdentity rows. */
export class Citizen extends Model<InferAttributes<Citizen>, InferCreationAttributes<Citizen>> {
  declare id: CreationOptional<number>;
  declare name: string | null;
  declare language: CreationOptional<Language>;
  /** Set when this record was merged into another; lookups follow it. */
  declare mergedIntoId: number | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCitizen(sequelize: Sequelize): void {
  Citizen.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      name: { type: DataTypes.STRING(200), allowNull: true },
      language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
      mergedIntoId: { type: DataTypes.INTEGER, allowNull: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'citizens' },
  );
}
