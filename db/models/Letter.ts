import { DataTypes, Model, type CreationOptional, type InferAttributes, type InferCreationAttributes, type Sequelize } from 'sequelize';
import { DATE_MS, jsonColumn } from './json';

/**
 * Where a scanned letter is: `received` (stored, being registered), `rejected` (refused at intake, with the
 * reason; never registered), `ocr` (registered, pages being read), `review` (held for a clerk: "de verificat"),
 * `released` (fields confirmed, the case may be routed), `filed_away` (no identifiable sender: filed away
 * unanswered from review, OG 27/2002 art. 7; never routed).
 */
export type LetterStatus = 'received' | 'rejected' | 'ocr' | 'review' | 'released' | 'filed_away';
/** Statuses in which the letter's case waits and routing leaves it alone. */
export const HELD_LETTER_STATUSES: LetterStatus[] = ['received', 'ocr', 'review'];
export type LetterSource = 'upload' | 'folder';

/** Fields read from the letter (OCR + extraction), corrected by a clerk in review. CNPs never stored here. */
export interface LetterFields {
  senderName?: string | null;
  postalAddress?: string | null;
  email?: string | null;
  phone?: string | null;
  /** The date written on the letter, YYYY-MM-DD. */
  letterDate?: string | null;
  /** An earlier registration number the letter refers to ("nr. 1234/2026"). */
  referenceNumber?: string | null;
  subject?: string | null;
  /** The citizen asked for the answer by email. */
  wantsEmailReply?: boolean;
}

/** One scanned file received by the registry (upload or watched folder), kept by its sha256. */
export class Letter extends Model<InferAttributes<Letter>, InferCreationAttributes<Letter>> {
  declare id: CreationOptional<number>;
  declare sha256: string;
  declare filename: string;
  declare contentType: string;
  declare size: number;
  declare source: LetterSource;
  declare status: LetterStatus;
  /** Stable machine code of a refusal (corrupt_pdf, too_many_pixels, unsupported_type, empty_file). */
  declare rejectCode: string | null;
  declare rejectReason: string | null;
  declare pageCount: number;
  declare pagesDone: CreationOptional<number>;
  /** Mean OCR confidence over the pages, 0–100. */
  declare confidence: number | null;
  declare conversationId: number | null;
  declare messageId: number | null;
  declare fields: CreationOptional<LetterFields>;
  /** Why the letter is held for review (low_confidence, no_sender, no_text, ocr_failed). */
  declare reviewReasons: CreationOptional<string[]>;
  declare uploadedById: number | null;
  declare releasedById: number | null;
  declare releasedAt: Date | null;
  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
}

/** Registers the model. */
export function initLetter(sequelize: Sequelize): void {
  Letter.init(
    {
      id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true },
      sha256: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      filename: { type: DataTypes.STRING(255), allowNull: false },
      contentType: { type: DataTypes.STRING(200), allowNull: false },
      size: { type: DataTypes.BIGINT, allowNull: false },
      source: { type: DataTypes.STRING(16), allowNull: false },
      status: { type: DataTypes.STRING(16), allowNull: false },
      rejectCode: { type: DataTypes.STRING(64), allowNull: true },
      rejectReason: { type: DataTypes.TEXT, allowNull: true },
      pageCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      pagesDone: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      confidence: { type: DataTypes.FLOAT, allowNull: true },
      conversationId: { type: DataTypes.INTEGER, allowNull: true },
      messageId: { type: DataTypes.INTEGER, allowNull: true },
      fields: jsonColumn<LetterFields>('fields', {}),
      reviewReasons: jsonColumn<string[]>('reviewReasons', []),
      uploadedById: { type: DataTypes.INTEGER, allowNull: true },
      releasedById: { type: DataTypes.INTEGER, allowNull: true },
      releasedAt: { type: DATE_MS, allowNull: true },
      createdAt: DATE_MS,
      updatedAt: DATE_MS,
    },
    { sequelize, tableName: 'letters' },
  );
}
