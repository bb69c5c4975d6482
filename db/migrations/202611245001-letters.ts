import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * Scanned letters (one row per distinct file, unique by sha256, rejected ones included so a refused file is
 * kept with its reason) and their OCR pages (unique per letter and page, so a re-run job overwrites).
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('letters', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
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
    conversationId: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'conversations', key: 'id' }, onDelete: 'SET NULL' },
    messageId: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'messages', key: 'id' }, onDelete: 'SET NULL' },
    fields: { type: DataTypes.TEXT, allowNull: true },
    reviewReasons: { type: DataTypes.TEXT, allowNull: true },
    uploadedById: { type: DataTypes.INTEGER, allowNull: true },
    releasedById: { type: DataTypes.INTEGER, allowNull: true },
    releasedAt: { type: DataTypes.DATE(3), allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('letters', ['sha256'], { unique: true, name: 'letters_sha256' });
  await qi.addIndex('letters', ['status', 'id'], { name: 'letters_status' });
  await qi.addIndex('letters', ['conversationId'], { name: 'letters_conversation' });
  await qi.createTable('letter_pages', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    letterId: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'letters', key: 'id' }, onDelete: 'CASCADE' },
    pageNo: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    text: { type: DataTypes.TEXT, allowNull: false },
    confidence: { type: DataTypes.FLOAT, allowNull: false },
    width: { type: DataTypes.INTEGER, allowNull: false },
    height: { type: DataTypes.INTEGER, allowNull: false },
    ocrMs: { type: DataTypes.INTEGER, allowNull: false },
    error: { type: DataTypes.TEXT, allowNull: true },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('letter_pages', ['letterId', 'pageNo'], { unique: true, name: 'letter_pages_page' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('letter_pages');
  await qi.dropTable('letters');
};
