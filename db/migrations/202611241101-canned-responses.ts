import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** Canned responses: reusable answers with variables, managed by supervisors, used by every agent. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('canned_responses', {
    id: { type: DataTypes.INTEGER, autoIncrement: true, primaryKey: true, allowNull: false },
    title: { type: DataTypes.STRING(200), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    language: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'ro' },
    shortcut: { type: DataTypes.STRING(64), allowNull: true },
    departmentId: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'departments', key: 'id' }, onDelete: 'SET NULL', onUpdate: 'CASCADE' },
    active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    createdById: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'agents', key: 'id' }, onDelete: 'SET NULL', onUpdate: 'CASCADE' },
    updatedById: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'agents', key: 'id' }, onDelete: 'SET NULL', onUpdate: 'CASCADE' },
    createdAt: { type: DataTypes.DATE(3), allowNull: false },
    updatedAt: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('canned_responses', ['shortcut'], { unique: true, name: 'canned_responses_shortcut' });
  await qi.addIndex('canned_responses', ['active', 'language'], { name: 'canned_responses_active' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('canned_responses');
};
