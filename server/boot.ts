import path from 'node:path';
import { openDatabase } from '../db/connection';
import { migrate } from '../db/migrate';
import { initModels } from '../db/models';
import type { Config } from './config';
import type { AppContext } from './context';
import { DomainEventBus } from './events/bus';
import { BlobStore } from './files/blobStore';
import { createJobQueue } from './jobs/createJobQueue';
import { createAdapters } from '../channels/registry';

/** Opens the database (migrating it), the blob store, the event bus and the job driver the config asks for. */
export async function createContext(config: Config, opts: { migrate?: boolean; poolMax?: number } = {}): Promise<AppContext> {
  const db = openDatabase(config.DATABASE_URL, { poolMax: opts.poolMax });
  initModels(db.sequelize);
  await db.sequelize.authenticate();
  if (opts.migrate !== false) await migrate(db.sequelize);
  const events = new DomainEventBus();
  const blobs = new BlobStore(path.join(config.DATA_DIR, 'blobs'));
  const jobs = createJobQueue(config, db);
  const adapters = createAdapters({ config, outboxDir: path.join(config.DATA_DIR, 'outbox') });
  return { config, db, events, blobs, jobs, adapters };
}

/** Closes what createContext opened, jobs first so no job runs against a closed database. */
export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.jobs.close();
  await ctx.events.drain();
  await ctx.db.close();
}
