import { Op } from 'sequelize';
import { PhoneCall } from '../../db/models';

/** Used when nothing better is known: a typical time an agent needs per caller ahead. */
const DEFAULT_SECONDS_PER_CALLER = 90;

/**
 * The expected wait of a caller at `position`: the average time recent callers of the same queue waited
 * before an agent took them (the last two hours), per caller ahead; Twilio's AvgQueueTime when there is no
 * history yet; a default otherwise.
 */
export async function expectedWaitSeconds(call: PhoneCall, position: number, twilioAverage: number | null): Promise<number> {
  const since = new Date(Date.now() - 2 * 3600_000);
  const recent = call.queueName
    ? await PhoneCall.findAll({
        where: { queueName: call.queueName, bridgedAt: { [Op.gte]: since }, queuedAt: { [Op.ne]: null } },
        attributes: ['queuedAt', 'bridgedAt'],
        order: [['id', 'DESC']],
        limit: 50,
      })
    : [];
  if (recent.length) {
    const avg = recent.reduce((sum, c) => sum + (c.bridgedAt!.getTime() - c.queuedAt!.getTime()) / 1000, 0) / recent.length;
    return Math.round(Math.max(avg, 15) * position);
  }
  if (twilioAverage) return twilioAverage * position;
  return DEFAULT_SECONDS_PER_CALLER * position;
}
