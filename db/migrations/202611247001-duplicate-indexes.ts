import type { QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/**
 * The duplicate suggestions of a case read recent cases of one category or one department, and cases near one
 * point, straight from an index (a million cases: a range on the leading columns, newest first, with a limit).
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.addIndex('conversations', ['categoryId', 'registeredAt'], { name: 'conversations_category_registered' });
  await qi.addIndex('conversations', ['departmentId', 'registeredAt'], { name: 'conversations_department_registered' });
  await qi.addIndex('conversations', ['locationLat', 'locationLng'], { name: 'conversations_location' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.removeIndex('conversations', 'conversations_location');
  await qi.removeIndex('conversations', 'conversations_department_registered');
  await qi.removeIndex('conversations', 'conversations_category_registered');
};
