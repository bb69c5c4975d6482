import { createServer, type Server } from 'node:http';
import { parseArgs } from 'node:util';
import { seedDemoIfEmpty } from '../db/seeds/demo';
import { createApp } from './app';
import { closeContext, createContext } from './boot';
import { ConfigError, loadConfig, type Config } from './config';
import type { AppContext } from './context';
import { registerJobHandlers } from './jobs/handlers';
import { configureLogger, logger } from './log';
import { startServices, type ProcessRole } from './services';

const ROLES: readonly ProcessRole[] = ['web', 'worker', 'all'];

const log = logger('main');

function readRole(argv: string[]): ProcessRole {
  const { values } = parseArgs({ args: argv, options: { role: { type: 'string', default: 'all' } }, allowPositionals: false, strict: true });
  const role = values.role as ProcessRole;
  if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')} (got "${values.role}")`);
  return role;
}

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nFix the variables above (see "Configuration" in README.md) and start again.\n`);
      process.exit(78);
    }
    throw err;
  }
}

/**
 * Starts Ghișeu. One build, several roles: `web` serves HTTP (API, console, portal, webhooks), `worker` runs
 * jobs, `all` (the default, and the embedded mode) does both in one process.
 */
async function main(): Promise<void> {
  let role: ProcessRole;
  try {
    role = readRole(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(64);
  }
  const config = readConfig();
  configureLogger(config.LOG_LEVEL);
  const ctx = await createContext(config);

  if (config.embedded) {
    const seeded = await seedDemoIfEmpty(ctx);
    if (seeded) process.stdout.write(seeded.summary + '\n');
  }

  registerJobHandlers(ctx);
  if (role !== 'web') await ctx.jobs.start();

  let server: Server | undefined;
  if (role !== 'worker') {
    const app = createApp(ctx);
    server = createServer(app);
    await new Promise<void>((resolve) => server!.listen(config.PORT, resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.PORT;
    log.info({ role, port, database: ctx.db.dialect, jobs: ctx.jobs.driver }, 'Ghișeu is listening');
    process.stdout.write(`Ghișeu (${role}) on http://localhost:${port}/ — console at /console/, health at /healthz\n`);
  } else {
    log.info({ role, database: ctx.db.dialect, jobs: ctx.jobs.driver }, 'Ghișeu worker started');
  }
  const stopServices = await startServices(ctx, role, server);

  installShutdown(ctx, server, stopServices);
}

function installShutdown(ctx: AppContext, server: Server | undefined, stopServices: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000).unref();
    await stopServices();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections?.();
    await closeContext(ctx).catch((err: unknown) => log.error({ err }, 'error while closing'));
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'Ghișeu failed to start');
  process.stderr.write(`Ghișeu failed to start: ${(err as Error)?.message ?? err}\n`);
  process.exit(1);
});
