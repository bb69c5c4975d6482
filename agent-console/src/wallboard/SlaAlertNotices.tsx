import type { SlaAlertView } from '../../../server/realtime/contract';
import { useI18n } from '../i18n/i18n';
import { href } from '../ui/router';
import { useSlaText, type SlaMessageKey } from './messages';
import './wallboard.css';

/** SLA warnings and breaches pushed to this agent or supervisor, each with a link to the case (newest last). */
export function SlaAlertNotices({ alerts, dismiss }: { alerts: SlaAlertView[]; dismiss(alert: SlaAlertView): void }) {
  const t = useSlaText();
  const { dateTime } = useI18n();
  // The list stays in the page (empty) so screen readers announce alerts added to it.
  return (
    <ul className="sla-alerts" aria-live="assertive" aria-label={t('sla.alert.title')} data-testid="sla-alerts">
      {alerts.map((a) => (
        <li key={`${a.conversationId}:${a.kind}:${a.level}`} className={`sla-alert sla-alert-${a.level}`} role="alert">
          <span aria-hidden="true">{a.level === 'breached' ? '✕ ' : '▲ '}</span>
          <a href={href({ name: 'case', id: a.conversationId })} onClick={() => dismiss(a)}>
            {t(`sla.alert.${a.level}` as SlaMessageKey, { n: a.registrationNumber, kind: t(`sla.kind.${a.kind}` as SlaMessageKey), due: dateTime(a.dueAt) })}
          </a>
          {a.departmentName && <div className="muted">{t('sla.alert.department', { name: a.departmentName })}</div>}
          <button type="button" className="link" onClick={() => dismiss(a)}>
            {t('sla.alert.dismiss')}
          </button>
        </li>
      ))}
    </ul>
  );
}
