import { DataTypes, Model, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';

/** The register's counter for one year. Read under a row lock and bumped in the ingest transaction: no gaps, no duplicates. */
export class RegistryCounter extends Model<InferAttributes<RegistryCounter>, InferCreationAttributes<RegistryCounter>> {
  declare year: number;
  declare lastNumber: number;
}

/** Registers the model. */
export function initRegistryCounter(sequelize: Sequelize): void {
  RegistryCounter.init(
    {
      year: { type: DataTypes.INTEGER, primaryKey: true },
      lastNumber: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    },
    { sequelize, tableName: 'registry_counters', timestamps: false },
  );
}
