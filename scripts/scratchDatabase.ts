import { randomBytes } from 'node:crypto';
import { Sequelize } from 'sequelize';

/**
 * Creates an empty utf8mb4 database on the MariaDB/MySQL server of `baseUrl` (whose user may create
 * databases) for one test file or one benchmark path, and returns its URL and how to drop it.
 */
export async function createScratchDatabase(baseUrl: string, prefix = 't'): Promise<{ url: string; drop(): Promise<void> }> {
  const u = new URL(baseUrl.replace(/^mariadb:/, 'mysql:'));
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const server = `${u.protocol}//${u.username}:${u.password}@${u.host}/`;
  const run = async (sql: string) => {
    const admin = new Sequelize(server, { logging: false, dialect: 'mysql' });
    try {
      await admin.query(sql);
    } finally {
      await admin.close();
    }
  };
  await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`DROP DATABASE IF EXISTS \`${name}\``) };
}
