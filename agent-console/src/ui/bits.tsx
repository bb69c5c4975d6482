import type { ReactNode } from 'react';
import type { ConversationStatusName } from '../../../server/realtime/contract';
import { useI18n } from '../i18n/i18n';

/** A status as a word with an icon-like prefix: never colour alone. */
export function StatusBadge({ status }: { status: ConversationStatusName }) {
  const { t } = useI18n();
  return <span className={`badge status-${status}`}>{t(`status.${status}`)}</span>;
}

export function SlaBadge({ state }: { state: 'none' | 'ok' | 'warning' | 'breached' }) {
  const { t } = useI18n();
  return <span className={`badge sla-${state}`}>{t(`sla.${state}`)}</span>;
}

export function EmptyState({ children }: { children: ReactNode }) {
  return (
    <p className="empty" role="status">
      {children}
    </p>
  );
}

export function ErrorText({ error }: { error: unknown }) {
  const { t } = useI18n();
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {t('error.generic', { message: error instanceof Error ? error.message : String(error) })}
    </p>
  );
}
