import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../server/config';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ghiseu-config-'));

describe('configuration', () => {
  test('embedded defaults: SQLite in DATA_DIR, no Redis, a generated session secret kept in DATA_DIR', () => {
    const dir = tmp();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config.embedded).toBe(true);
    expect(config.DATABASE_URL).toBe(`sqlite:${path.join(dir, 'ghiseu.sqlite')}`);
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.PORT).toBe(3000);
    expect(config.PUBLIC_URL).toBe('http://localhost:3000');
    expect(config.SESSION_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'session-secret'), 'utf8').trim()).toBe(config.SESSION_SECRET);
    expect(loadConfig({ DATA_DIR: dir }).SESSION_SECRET).toBe(config.SESSION_SECRET);
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT: .*number/],
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'postgres://x@y/z' }, /DATABASE_URL: expected sqlite:<file> or mysql:\/\//],
    [{ REDIS_URL: 'localhost:6379' }, /REDIS_URL: expected a URL like redis:\/\//],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ PUBLIC_URL: 'ftp://x' }, /PUBLIC_URL/],
    [{ IMAP_URL: 'imaps://u:p@h/INBOX pop3://u:p@h' }, /IMAP_URL/],
    [{ TWILIO_ACCOUNT_SID: 'AC123' }, /TWILIO_ACCOUNT_SID: expected AC followed by 32 hex digits/],
    [{ TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32) }, /TWILIO_AUTH_TOKEN: required/],
    [{ SMTP_URL: 'smtp://localhost:25' }, /MAIL_FROM: required/],
    [{ SESSION_SECRET: 'short' }, /SESSION_SECRET: expected at least 32 characters \(got "\*\*\*"\)/],
  ])('%j is refused with a message naming the variable', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: tmp(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: tmp(), ...env })).toThrow(message);
  });

  test('passwords in URLs never appear in the error', () => {
    try {
      loadConfig({ DATA_DIR: tmp(), DATABASE_URL: 'postgres://admin:s3cret@db/x' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(String(err)).not.toContain('s3cret');
    }
  });

  test('several IMAP mailboxes separated by spaces', () => {
    const c = loadConfig({ DATA_DIR: tmp(), IMAP_URL: 'imaps://a:b@mail/INBOX  imap://c:d@mail:143/Petitii' });
    expect(c.IMAP_URL).toEqual(['imaps://a:b@mail/INBOX', 'imap://c:d@mail:143/Petitii']);
  });
});
