import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS } from './json';

/** The OCR result of one page of a letter; the text is stored with CNPs already redacted. */
export class LetterPage extends Model<InferAttributes<LetterPage>, InferCreationAttributes<LetterPage>> {
  declare id: CreationOptional<number>;
  declare letterId: number;
  /** 1-based. */
  declare pageNo: number;
  declare status: 'done' | 'failed';
  declare text: string;
  /** Tesseract's mean word confidence, 0–100. */
  declare confidence: number;
  declare width: number;
  declare height: number;
  declare ocrMs: number;
  declare error: string | null;
  /** Degrees (0, 90, 180, 270, clockwise) the page was turned to read upright; the clerk's image is turned the same. */
  declare rotation: CreationOptional<number>;
  /** Keyed hash (identity.ts cnpHash) of the first checksum-valid CNP read on the page; the CNP itself is never kept. */
  declare cnpHash: CreationOptional<string | null>;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initLetterPage(sequelize: Sequelize): void {
  LetterPage.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      letterId: { type: DataTypes.INTEGER, allowNull: false },
      pageNo: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      text: { type: DataTypes.TEXT, allowNull: false },
      confidence: { type: DataTypes.FLOAT, allowNull: false },
      width: { type: DataTypes.INTEGER, allowNull: false },
      height: { type: DataTypes.INTEGER, allowNull: false },
      ocrMs: { type: DataTypes.INTEGER, allowNull: false },
      error: { type: DataTypes.TEXT, allowNull: true },
      rotation: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      cnpHash: { type: DataTypes.STRING(64), allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'letter_pages' },
  );
}
