import { DataTypes, type QueryInterface } from 'sequelize';
import type { MigrationFn } from 'umzug';

// Times are epoch milliseconds: the local job driver compares them in hand-written SQL on SQLite and MariaDB,
// and integers compare the same on both, with no timezone or text format in the way.
const ms = (allowNull: boolean) => ({ type: DataTypes.BIGINT, allowNull });

/**
 * The embedded job queue (server/jobs/localQueue.ts): one row per job, kept across restarts. The id is the
 * deterministic job id, so the primary key is what makes a double enqueue do the work once.
 */
export const up: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.createTable('jobs', {
    id: { type: DataTypes.STRING(191), primaryKey: true, allowNull: false },
    name: { type: DataTypes.STRING(64), allowNull: false },
    data: { type: DataTypes.TEXT, allowNull: false },
    // waiting (delayed while runAt is ahead), active, completed, failed.
    state: { type: DataTypes.STRING(16), allowNull: false },
    runAt: ms(false),
    attemptsMade: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    maxAttempts: { type: DataTypes.INTEGER, allowNull: false },
    backoffMs: { type: DataTypes.INTEGER, allowNull: false },
    // Set on a recurring schedule's row: it goes back to waiting after each run instead of completing.
    everyMs: { type: DataTypes.INTEGER, allowNull: true },
    // The lease of an active job: another process may take the job over once lockedUntil has passed.
    lockedBy: { type: DataTypes.STRING(64), allowNull: true },
    lockedUntil: ms(true),
    error: { type: DataTypes.TEXT, allowNull: true },
    finishedAt: ms(true),
    createdAt: ms(false),
    updatedAt: ms(false),
  });
  // Claiming: the next due waiting job, or an active one whose lease ran out.
  await qi.addIndex('jobs', ['state', 'runAt'], { name: 'jobs_state_run_at' });
  await qi.addIndex('jobs', ['state', 'lockedUntil'], { name: 'jobs_state_locked_until' });
  // failed() newest first, and pruning old completed jobs.
  await qi.addIndex('jobs', ['state', 'finishedAt'], { name: 'jobs_state_finished_at' });
};

export const down: MigrationFn<QueryInterface> = async ({ context: qi }) => {
  await qi.dropTable('jobs');
};
