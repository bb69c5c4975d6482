import type { ReactNode } from 'react';
import type { ChannelKind } from '../../../channels/contract';
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

/** One symbol per channel; a new channel kind fails to compile here until it has one. */
const CHANNEL_ICONS = { voice: '☎', sms: '💬', email: '✉', portal: '🌐', letter: '📄', api: '⇄' } satisfies Record<ChannelKind, string>;

/** A channel as an icon with its name for screen readers (and as a tooltip): never the icon alone. */
export function ChannelIcon({ channel }: { channel: ChannelKind }) {
  const { t } = useI18n();
  return (
    <span className="channel-icon" title={t(`channel.${channel}`)}>
      <span aria-hidden="true">{CHANNEL_ICONS[channel]}</span>
      <span className="sr-only">{t(`channel.${channel}`)}</span>
    </span>
  );
}
