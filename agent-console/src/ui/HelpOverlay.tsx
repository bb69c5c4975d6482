import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n/i18n';
import type { MessageKey } from '../i18n/ro';

/** The shortcuts, documented where the agent looks for them. */
export const SHORTCUTS: [keys: string, what: MessageKey][] = [
  ['?', 'key.help'],
  ['/', 'key.search'],
  ['a', 'key.accept'],
  ['d', 'key.decline'],
  ['1', 'key.mine'],
  ['2', 'key.general'],
  ['r', 'key.reply'],
  ['n', 'key.note'],
  ['j / k', 'key.next'],
  ['Esc', 'key.escape'],
];

export function HelpOverlay({ onClose }: { onClose(): void }) {
  const { t } = useI18n();
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="dialog">
        <h2 id="help-title">{t('help.title')}</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, what]) => (
              <tr key={k}>
                <th scope="row">
                  <kbd>{k}</kbd>
                </th>
                <td>{t(what)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={close} type="button" onClick={onClose}>
          {t('help.close')}
        </button>
      </div>
    </div>
  );
}
