import type { BackgroundService } from '../services';
import { installOptOutCheck } from './smsCommands';

/**
 * Gives the Twilio SMS adapter its opt-out lookup in every process role: worker processes send SMS but do
 * not mount the webhooks (which install it in web processes).
 */
export const twilioService: BackgroundService = {
  name: 'twilio',
  roles: ['web', 'worker'],
  async start(ctx) {
    installOptOutCheck(ctx);
    return { stop: async () => undefined };
  },
};
