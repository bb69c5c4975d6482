import { closeContext, createContext } from '../boot';
import { loadConfig } from '../config';
import { configureLogger, logger } from '../log';
import { startEmailIntake } from './emailIntakeService';

const log = logger('email-main');

/**
 * Runs only the email intake (no web server, no jobs): `npx tsx server/email/intakeMain.ts`. Useful to
 * drain a mailbox backlog, and what the crash-and-restart test kills. Prints "intake ready" when watching.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  configureLogger(config.LOG_LEVEL);
  const ctx = await createContext(config);
  const running = await startEmailIntake(ctx, { pollMs: 2000, backoffMs: 200, maxBackoffMs: 2000 });
  process.stdout.write('intake ready\n');
  const stop = async () => {
    await running.stop();
    await closeContext(ctx);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'email intake failed to start');
  process.stderr.write(`email intake failed to start: ${(err as Error)?.message ?? err}\n`);
  process.exit(1);
});
