import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

/** Hit counters of the portal's per-address limits, shared by every web process behind the load balancer. */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('portal_rate_limits', {
    rateKey: { type: DataTypes.STRING(100), allowNull: false, primaryKey: true },
    windowStart: { type: DataTypes.BIGINT, allowNull: false },
    hits: { type: DataTypes.INTEGER, allowNull: false },
  });
  await qi.addIndex('portal_rate_limits', ['windowStart'], { name: 'portal_rate_limits_window' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('portal_rate_limits');
};
