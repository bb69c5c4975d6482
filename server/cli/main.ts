import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { migrate } from '../../db/migrate';
import { seedDemo } from '../../db/seeds/demo';
import { ROLES, type Role } from '../../db/models/Agent';
import { API_KEY_CACHE_MS, createApiKey, listApiKeys, revokeApiKey } from '../auth/apiKeys';
import { MIN_PASSWORD_LENGTH, createAgent } from '../auth/createAgent';
import { closeContext, createContext } from '../boot';
import { ConfigError, loadConfig, type Config } from '../config';
import type { AppContext } from '../context';
import { AppError } from '../errors';
import { configureLogger } from '../log';

/** sysexits.h: the exit codes operators' scripts can tell apart. */
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_SOFTWARE = 70;
const EX_CONFIG = 78;

const HELP = `Ghișeu administration

Usage: npm run cli -- <command> [options]

Commands:
  agent:create --email E --name N --role agent|supervisor|admin [--departments code1,code2] [--all-departments]
                 Creates a console account. The password is read from standard input (one line);
                 at a terminal it is asked for without echo. At least ${MIN_PASSWORD_LENGTH} characters.
  apikey:create --name N
                 Creates a key for the integration API (POST /api/v1/contacts) and prints it once.
  apikey:list    Lists the keys: number, name, prefix, created, last used, revoked.
  apikey:revoke --id N
                 Revokes a key; the servers refuse it within ${API_KEY_CACHE_MS / 1000} seconds.
  db:migrate     Applies pending database migrations.
  seed           Loads the demo data (departments, categories, demo accounts and cases). Safe to repeat.
  help           Shows this text.

Configuration comes from the environment (DATABASE_URL, DATA_DIR, ...), as for the server.
`;

/** A mistake in how the command was called: shown with a hint, exit 64. */
class UsageError extends Error {}

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  'agent:create': agentCreate,
  'apikey:create': apikeyCreate,
  'apikey:list': apikeyList,
  'apikey:revoke': apikeyRevoke,
  'db:migrate': dbMigrate,
  seed,
  help: async () => {
    process.stdout.write(HELP);
    return 0;
  },
};

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix the variables above (see "Configuration" in README.md) and run the command again.\n`);
      process.exit(EX_CONFIG);
    }
    throw err;
  }
}

/** Opens the application context for a command and closes it afterwards, whatever happens. */
async function withContext<T>(fn: (ctx: AppContext) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const config = readConfig();
  // The CLI talks to people on stdout/stderr; structured logs would only add noise (and must never carry secrets).
  configureLogger(config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? config.LOG_LEVEL : 'warn');
  const ctx = await createContext(config, { ...opts, poolMax: 2 });
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}

function options<T extends Record<string, { type: 'string' | 'boolean' }>>(argv: string[], spec: T) {
  try {
    return parseArgs({ args: argv, options: spec, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value.trim();
}

async function agentCreate(argv: string[]): Promise<number> {
  const values = options(argv, {
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    departments: { type: 'string' },
    'all-departments': { type: 'boolean' },
  });
  const email = required(values, 'email');
  const name = required(values, 'name');
  const role = required(values, 'role');
  if (!(ROLES as readonly string[]).includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')} (got "${role}")`);
  const departments = (values.departments ?? '').split(',').map((d) => d.trim()).filter(Boolean);

  const password = await readPassword();
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(`the password must be at least ${MIN_PASSWORD_LENGTH} characters (it is read from standard input, one line)`);
  }
  const agent = await withContext((ctx) =>
    createAgent(ctx, { email, name, role: role as Role, password, departments, allDepartments: values['all-departments'] ?? false }),
  );
  process.stdout.write(`Created ${agent.role} #${agent.id} ${agent.email}${departments.length ? ` (departments: ${departments.join(', ')})` : ''}${agent.allDepartments ? ' (all departments)' : ''}.\n`);
  return 0;
}

/** One line from stdin; at a terminal, a prompt with the typing hidden. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (!muted) process.stderr.write(chunk);
        callback();
      },
    });
    const rl = createInterface({ input: stdin, output, terminal: true });
    try {
      const ask = (prompt: string) =>
        new Promise<string>((resolve) => {
          process.stderr.write(prompt);
          muted = true;
          rl.question('', (answer) => {
            muted = false;
            process.stderr.write('\n');
            resolve(answer);
          });
        });
      const first = await ask('Password: ');
      const again = await ask('Repeat the password: ');
      if (first !== again) throw new UsageError('the two passwords differ');
      return first;
    } finally {
      rl.close();
    }
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    size += buf.length;
    if (size > 64 * 1024) throw new UsageError('standard input is too long for a password');
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) throw new UsageError('no password on standard input; pipe it in, e.g. `printf "%s\\n" "$PASSWORD" | npm run cli -- agent:create ...`');
  return text.split(/\r?\n/)[0]!;
}

async function apikeyCreate(argv: string[]): Promise<number> {
  const values = options(argv, { name: { type: 'string' } });
  const name = required(values, 'name');
  if (name.length > 200) throw new UsageError('--name must be at most 200 characters');
  const { key, apiKey } = await withContext(() => createApiKey(name));
  process.stderr.write(`Created API key #${apiKey.id} "${apiKey.name}" (prefix ${apiKey.prefix}). It is shown only now; store it in the other system's secrets:\n`);
  process.stdout.write(`${key}\n`);
  return 0;
}

async function apikeyList(argv: string[]): Promise<number> {
  options(argv, {});
  const keys = await withContext(() => listApiKeys());
  if (!keys.length) {
    process.stdout.write('No API keys yet; create one with `npm run cli -- apikey:create --name N`.\n');
    return 0;
  }
  const when = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : '-');
  const rows = [['#', 'name', 'prefix', 'created (UTC)', 'last used (UTC)', 'revoked (UTC)'], ...keys.map((k) => [String(k.id), k.name, k.prefix, when(k.createdAt), when(k.lastUsedAt), when(k.revokedAt)])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
  return 0;
}

async function apikeyRevoke(argv: string[]): Promise<number> {
  const values = options(argv, { id: { type: 'string' } });
  const raw = required(values, 'id');
  const id = Number(raw.replace(/^#/, ''));
  if (!Number.isSafeInteger(id) || id < 1) throw new UsageError('--id must be a key number, as `apikey:list` shows it');
  const apiKey = await withContext(() => revokeApiKey(id));
  if (!apiKey) {
    process.stderr.write(`There is no API key #${id}; \`npm run cli -- apikey:list\` shows them.\n`);
    return EX_DATAERR;
  }
  process.stdout.write(`Revoked API key #${apiKey.id} "${apiKey.name}" (prefix ${apiKey.prefix}); the servers refuse it within ${API_KEY_CACHE_MS / 1000} seconds.\n`);
  return 0;
}

async function dbMigrate(argv: string[]): Promise<number> {
  options(argv, {});
  const applied = await withContext((ctx) => migrate(ctx.db.sequelize), { migrate: false });
  process.stdout.write(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'The database is up to date.\n');
  return 0;
}

async function seed(argv: string[]): Promise<number> {
  options(argv, {});
  const { summary } = await withContext((ctx) => seedDemo(ctx));
  process.stdout.write(summary + '\n');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : EX_USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`Unknown command "${name}". Run \`npm run cli -- help\` for the list.\n`);
    return EX_USAGE;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\nRun \`npm run cli -- help\` for usage.\n`);
      return EX_USAGE;
    }
    if (err instanceof AppError && err.status < 500) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return EX_DATAERR;
    }
    process.stderr.write(`${name} failed: ${(err as Error)?.message ?? String(err)}\n`);
    return EX_SOFTWARE;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error)?.message ?? String(err)}\n`);
    process.exit(EX_SOFTWARE);
  },
);
