/**
 * The real services the suite runs against, started by scripts/test.sh (npm test). A test that needs one
 * and does not find it fails: nothing is silently skipped.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, which starts MariaDB, Redis and Dovecot.`);
  return value;
}

export const services = {
  mariadbUrl: () => required('TEST_MARIADB_URL'),
  redisUrl: () => required('TEST_REDIS_URL'),
  imap: () => ({
    host: required('TEST_IMAP_HOST'),
    port: Number(required('TEST_IMAP_PORT')),
    tlsPort: Number(required('TEST_IMAP_TLS_PORT')),
    user: required('TEST_IMAP_USER'),
    pass: required('TEST_IMAP_PASS'),
    dovecotConf: required('TEST_DOVECOT_CONF'),
  }),
};

/** The databases every integration suite runs on. */
export const DIALECTS = ['sqlite', 'mariadb'] as const;
export type TestDialect = (typeof DIALECTS)[number];
