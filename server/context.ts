import type { Config } from './config';
import type { Database } from '../db/connection';
import type { DomainEventBus } from './events/bus';
import type { BlobStore } from './files/blobStore';
import type { JobQueue } from './jobs/types';
import type { ChannelAdapter, ChannelKind } from '../channels/contract';

/** What every command receives: the parsed config and the process's drivers. */
export interface AppContext {
  config: Config;
  db: Database;
  events: DomainEventBus;
  blobs: BlobStore;
  jobs: JobQueue;
  /** One adapter per channel (providers when configured, the outbox otherwise); tests may replace them. */
  adapters: Record<ChannelKind, ChannelAdapter>;
}
