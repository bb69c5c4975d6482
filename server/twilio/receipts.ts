import { UniqueConstraintError, type Transaction } from 'sequelize';
import { TwilioWebhookReceipt } from '../../db/models';

/**
 * Claims a webhook's receipt inside the transaction that applies it. Returns false when the same webhook was
 * applied before (a replay or Twilio's retry): the caller then changes nothing. A concurrent twin fails on the
 * unique index and its transaction rolls back; the caller retries and finds the receipt.
 */
export async function claimReceipt(kind: string, key: string, transaction: Transaction): Promise<boolean> {
  const existing = await TwilioWebhookReceipt.findOne({ where: { kind, key }, transaction });
  if (existing) return false;
  await TwilioWebhookReceipt.create({ kind, key }, { transaction });
  return true;
}

/** Runs a webhook's transaction; a duplicate-key race with its own replay is answered by running once more (it then finds the receipt). */
export async function withReceiptRetry<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UniqueConstraintError) return run();
    throw err;
  }
}
