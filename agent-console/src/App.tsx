import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import type { PresenceState } from '../../server/realtime/contract';
import { api, ApiError, setCsrfToken } from './api';
import { LoginPage } from './auth/LoginPage';
import { CaseView } from './case/CaseView';
import { useI18n } from './i18n/i18n';
import { CaseList } from './inbox/CaseList';
import { SearchView } from './inbox/SearchView';
import { OfferPanel, useMe, useOfferActions } from './offers/OfferPanel';
import { SoftphonePanel } from './phone/SoftphonePanel';
import { RealtimeProvider, useRealtime, type MeData } from './socket/RealtimeProvider';
import type { Directory, SessionAgent } from './types';
import { HelpOverlay } from './ui/HelpOverlay';
import { LettersView } from './letters/LettersView';
import { href, navigate, useRoute } from './ui/router';
import { WallboardView } from './wallboard/WallboardView';
import { ReportsView } from './reports/ReportsView';
import { SlaAdminView } from './admin/sla/SlaAdminView';
import { SupervisorNav } from './wallboard/SupervisorNav';
import { CannedResponsesView } from './admin/CannedResponsesView';
import { EmailAdminView } from './admin/email/EmailAdminView';

const PRESENCES: PresenceState[] = ['available', 'busy', 'away', 'after_call_work', 'offline'];

function ConnectionBanner() {
  const { t } = useI18n();
  const { state } = useRealtime();
  if (state === 'live') return null;
  const key = state === 'offline' ? 'banner.offline' : state === 'syncing' ? 'banner.syncing' : 'banner.connecting';
  return (
    <div className={`banner banner-${state}`} role="status" aria-live="polite" data-testid="connection-banner" data-state={state}>
      <span aria-hidden="true">{state === 'offline' ? '⚠ ' : '⟳ '}</span>
      {t(key)}
    </div>
  );
}

/** Notes in which a colleague mentioned me, each with a link to the case. */
function MentionNotices() {
  const { t } = useI18n();
  const { mentions, dismissMention } = useRealtime();
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<Directory>('/directory') });
  if (!mentions.length) return null;
  return (
    <ul className="mentions" aria-live="polite" data-testid="mentions">
      {mentions.map((m) => (
        <li key={m.messageId} className="notice">
          <span aria-hidden="true">@ </span>
          <a href={href({ name: 'case', id: m.conversationId })} onClick={() => dismissMention(m.messageId)}>
            {t('mention.notice', { name: dir.data?.agents.find((a) => a.id === m.byAgentId)?.name ?? '—', n: m.registrationNumber })}
          </a>{' '}
          <button type="button" className="link" onClick={() => dismissMention(m.messageId)}>
            {t('help.close')}
          </button>
        </li>
      ))}
    </ul>
  );
}

function PresenceSwitch() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const me = useMe();
  const { request } = useRealtime();
  const [error, setError] = useState('');
  const change = async (presence: PresenceState) => {
    setError('');
    try {
      const view = await request('presence.set', { presence }).catch(async (err: { code?: string }) => {
        if (err.code !== 'offline' && err.code !== 'timeout') throw err;
        return (await api<{ presence: MeData['presence'] }>('/routing/presence', { method: 'PUT', body: { presence } })).presence!;
      });
      qc.setQueryData<MeData>(['me'], (old) => ({ offers: old?.offers ?? [], presence: view }));
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <span className="presence">
      <label htmlFor="presence">{t('presence.label')}</label>{' '}
      <select id="presence" value={me.data?.presence?.presence ?? 'offline'} onChange={(e) => void change(e.target.value as PresenceState)}>
        {PRESENCES.map((p) => (
          <option key={p} value={p}>
            {t(`presence.${p}`)}
          </option>
        ))}
      </select>
      {error && (
        <span className="error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </span>
  );
}

/** Global single-key shortcuts (ignored while typing in a field). */
function useShortcuts(toggleHelp: () => void) {
  const me = useMe();
  const offers = useOfferActions();
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) || target.isContentEditable) return;
      const first = me.data?.offers.find((o) => o.state === 'pending');
      const focus = (sel: string) => (document.querySelector(sel) as HTMLElement | null)?.focus();
      const moveInList = (delta: number) => {
        const links = [...document.querySelectorAll<HTMLAnchorElement>('a.case-link')];
        if (!links.length) return;
        const i = links.indexOf(document.activeElement as HTMLAnchorElement);
        links[Math.max(0, Math.min(links.length - 1, i + delta))]?.focus();
      };
      const actions: Record<string, () => void> = {
        '?': toggleHelp,
        '/': () => focus('#search'),
        a: () => first && void offers.accept(first).catch(() => undefined),
        d: () => first && void offers.decline(first).catch(() => undefined),
        '1': () => navigate({ name: 'mine' }),
        '2': () => navigate({ name: 'queue', queue: 'general' }),
        r: () => focus('[data-shortcut="reply"]'),
        n: () => focus('[data-shortcut="note"]'),
        j: () => moveInList(1),
        k: () => moveInList(-1),
      };
      const action = actions[e.key];
      if (action) {
        e.preventDefault();
        action();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [me.data, offers, toggleHelp]);
}

function Shell({ agent, onSignOut }: { agent: SessionAgent; onSignOut(): void }) {
  const { t, lang, setLang } = useI18n();
  const route = useRoute();
  const [help, setHelp] = useState(false);
  const [q, setQ] = useState(route.name === 'search' ? route.q : '');
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<Directory>('/directory') });
  useShortcuts(() => setHelp((h) => !h));
  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate({ name: 'search', q });
  };
  const signOut = async () => {
    await api('/auth/logout', { method: 'POST' }).catch(() => undefined);
    onSignOut();
  };
  return (
    <div className="shell">
      <a className="skip" href="#main">
        {t('nav.label')}
      </a>
      <header className="top">
        <strong className="brand">{t('appName')}</strong>
        <PresenceSwitch />
        <form role="search" onSubmit={search} className="search">
          <label htmlFor="search" className="sr-only">
            {t('search.label')}
          </label>
          <input id="search" type="search" placeholder={t('search.placeholder')} value={q} onChange={(e) => setQ(e.target.value)} title={t('search.label')} />
          <button type="submit">{t('search.submit')}</button>
        </form>
        <span className="who" data-testid="who">
          {agent.name}
        </span>
        <button type="button" onClick={() => setLang(lang === 'ro' ? 'en' : 'ro')} aria-label={t('lang.label')}>
          {t('lang.switch')}
        </button>
        <button type="button" onClick={() => setHelp(true)}>
          {t('help.open')}
        </button>
        <button type="button" onClick={() => void signOut()}>
          {t('logout')}
        </button>
      </header>
      <ConnectionBanner />
      <MentionNotices />
      <OfferPanel />
      <SoftphonePanel />
      <div className="layout">
        <nav aria-label={t('nav.label')}>
          <ul>
            <li>
              <a href={href({ name: 'mine' })} aria-current={route.name === 'mine' ? 'page' : undefined}>
                {t('nav.mine')}
              </a>
            </li>
            <li>
              <a href={href({ name: 'queue', queue: 'general' })} aria-current={route.name === 'queue' && route.queue === 'general' ? 'page' : undefined}>
                {t('nav.general')}
              </a>
            </li>
          </ul>
          <SupervisorNav role={agent.role} route={route} />
          <ul>
            <li>
              <a href={href({ name: 'admin-canned' })} aria-current={route.name === 'admin-canned' ? 'page' : undefined}>
                {t('nav.canned')}
              </a>
            </li>
            <li>
              <a href={href({ name: 'letters' })} aria-current={route.name === 'letters' ? 'page' : undefined}>
                {t('nav.letters')}
              </a>
            </li>
          </ul>
          <h2>{t('nav.queues')}</h2>
          <ul>
            {(dir.data?.departments ?? []).map((d) => (
              <li key={d.id}>
                <a href={href({ name: 'queue', queue: d.code })} aria-current={route.name === 'queue' && route.queue === d.code ? 'page' : undefined}>
                  {lang === 'ro' ? d.nameRo : d.nameEn}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {route.name === 'mine' && <CaseList kind="mine" />}
          {route.name === 'queue' && <CaseList key={route.queue} kind="queue" queue={route.queue} />}
          {route.name === 'case' && <CaseView key={route.id} id={route.id} me={agent} />}
          {route.name === 'search' && <SearchView q={route.q} />}
          {route.name === 'wallboard' && <WallboardView />}
          {route.name === 'reports' && <ReportsView />}
          {route.name === 'admin-sla' && <SlaAdminView role={agent.role} />}
          {route.name === 'admin-canned' && <CannedResponsesView role={agent.role} />}
          {route.name === 'admin-email' && <EmailAdminView role={agent.role} />}
          {route.name === 'letters' && <LettersView />}
        </main>
      </div>
      {help && <HelpOverlay onClose={() => setHelp(false)} />}
    </div>
  );
}

/** Signs in (or resumes the session), then runs the console with its one socket. */
export function App() {
  const qc = useQueryClient();
  const session = useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      try {
        const s = await api<{ agent: SessionAgent; csrfToken: string }>('/auth/session');
        setCsrfToken(s.csrfToken);
        return s;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return null;
        throw err;
      }
    },
    staleTime: Infinity,
  });
  if (session.isPending) return null;
  if (!session.data) {
    return (
      <LoginPage
        onSignedIn={(agent, csrfToken) => {
          setCsrfToken(csrfToken);
          sessionStorage.removeItem('ghiseu.lastEventId');
          qc.setQueryData(['session'], { agent, csrfToken });
        }}
      />
    );
  }
  return (
    <RealtimeProvider key={session.data.agent.id} agentId={session.data.agent.id}>
      <Shell
        agent={session.data.agent}
        onSignOut={() => {
          qc.clear();
          qc.setQueryData(['session'], null);
        }}
      />
    </RealtimeProvider>
  );
}
