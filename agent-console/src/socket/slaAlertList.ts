import type { SlaAlertView } from '../../../server/realtime/contract';

/** How many SLA notices stay on screen at once (the newest). */
export const MAX_SLA_ALERTS = 5;

/**
 * The notices after `alert` arrives: a breach replaces the warning of the same clock (case and kind); a warning
 * arriving after its breach — another server process's delivery may overtake — never replaces it.
 */
export function withSlaAlert(list: readonly SlaAlertView[], alert: SlaAlertView): SlaAlertView[] {
  const same = (a: SlaAlertView) => a.conversationId === alert.conversationId && a.kind === alert.kind;
  if (alert.level === 'warning' && list.some((a) => same(a) && a.level === 'breached')) return [...list];
  return [...list.filter((a) => !same(a)), alert].slice(-MAX_SLA_ALERTS);
}
