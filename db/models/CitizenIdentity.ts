import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { Citizen } from './Citizen';

export const IDENTITY_KINDS = ['phone', 'email', 'postal', 'cnp_hash'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** One way to reach a citizen: an E.164 phone, a lower-cased email, a postal address, or a keyed hash of a CNP. */
export class CitizenIdentity extends Model<InferAttributes<CitizenIdentity>, InferCreationAttributes<CitizenIdentity>> {
  declare id: CreationOptional<number>;
  declare citizenId: ForeignKey<Citizen['id']>;
  declare kind: IdentityKind;
  declare value: string;
  declare verified: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCitizenIdentity(sequelize: Sequelize): void {
  CitizenIdentity.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      citizenId: { type: DataTypes.INTEGER, allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      value: { type: DataTypes.STRING(320), allowNull: false },
      verified: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'citizen_identities' },
  );
}
