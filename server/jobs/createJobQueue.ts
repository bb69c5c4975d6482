import type { Database } from '../../db/connection';
import type { Config } from '../config';
import { BullmqJobQueue } from './bullmqQueue';
import { LocalJobQueue } from './localQueue';
import type { JobQueue } from './types';

/** The job driver the configuration asks for: BullMQ when REDIS_URL is set, the durable in-process queue otherwise. */
export function createJobQueue(config: Config, db: Database): JobQueue {
  if (config.REDIS_URL) return new BullmqJobQueue(config.REDIS_URL);
  return new LocalJobQueue(db);
}
