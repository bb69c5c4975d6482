import { sequelizeOptions } from '../../db/connection';

describe('DATABASE_URL parsing', () => {
  test('a MariaDB URL gives host, port, credentials and database, decoded', () => {
    const o = sequelizeOptions('mysql://ghi%40seu:p%3Ass@db.example:3307/ghiseu');
    expect(o).toMatchObject({ dialect: 'mysql', host: 'db.example', port: 3307, username: 'ghi@seu', password: 'p:ss', database: 'ghiseu', timezone: '+00:00' });
    expect((o.dialectOptions as { socketPath?: string }).socketPath).toBeUndefined();
  });

  test('?socket= connects over the server\'s Unix socket; the database name is not taken from the query', () => {
    const o = sequelizeOptions('mysql://ghiseu:x@localhost/ghiseu?socket=/run/mysqld/mysqld.sock');
    expect(o.database).toBe('ghiseu');
    expect((o.dialectOptions as { socketPath?: string }).socketPath).toBe('/run/mysqld/mysqld.sock');
  });
});
