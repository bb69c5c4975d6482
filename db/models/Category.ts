import { DataTypes, Model, type CreationOptional, type ForeignKey, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import type { LegalBasis } from '../../channels/contract';
import type { Department } from './Department';

/** A service category (Open311 service_code); it routes to a department and sets the default legal basis. */
export class Category extends Model<InferAttributes<Category>, InferCreationAttributes<Category>> {
  declare id: CreationOptional<number>;
  declare code: string;
  declare nameRo: string;
  declare nameEn: string;
  declare groupCode: string;
  declare descriptionRo: string | null;
  declare descriptionEn: string | null;
  declare keywords: string | null;
  declare departmentId: ForeignKey<Department['id']> | null;
  /** Location-based operational reports (a pothole) are worked even without the sender's identity. */
  declare locationBased: CreationOptional<boolean>;
  declare legalBasis: CreationOptional<LegalBasis>;
  declare sortOrder: CreationOptional<number>;
  declare active: CreationOptional<boolean>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initCategory(sequelize: Sequelize): void {
  Category.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      code: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      nameRo: { type: DataTypes.STRING(200), allowNull: false },
      nameEn: { type: DataTypes.STRING(200), allowNull: false },
      groupCode: { type: DataTypes.STRING(64), allowNull: false },
      descriptionRo: { type: DataTypes.TEXT, allowNull: true },
      descriptionEn: { type: DataTypes.TEXT, allowNull: true },
      keywords: { type: DataTypes.STRING(500), allowNull: true },
      departmentId: { type: DataTypes.INTEGER, allowNull: true },
      locationBased: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      legalBasis: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'petition' },
      sortOrder: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      createdAt: DataTypes.DATE(3),
      updatedAt: DataTypes.DATE(3),
    },
    { sequelize, tableName: 'categories' },
  );
}
