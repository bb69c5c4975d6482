import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n/i18n';
import type { SessionAgent } from '../types';

/** Sign-in form; on success hands the agent and the CSRF token up. */
export function LoginPage({ onSignedIn }: { onSignedIn(agent: SessionAgent, csrfToken: string): void }) {
  const { t, lang, setLang } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      const r = await api<{ agent: SessionAgent; csrfToken: string }>('/auth/login', { method: 'POST', body: { email, password } });
      onSignedIn(r.agent, r.csrfToken);
    } catch (err) {
      setError(err instanceof ApiError && err.status !== 401 ? err.message : t('login.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" aria-labelledby="login-title">
      <h1 id="login-title">{t('appName')}</h1>
      <p className="lead">{t('login.title')}</p>
      <form onSubmit={submit} noValidate>
        <label htmlFor="email">{t('login.email')}</label>
        <input id="email" name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="password">{t('login.password')}</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <p className="error" role="alert" aria-live="assertive">
          {error}
        </p>
        <button type="submit" disabled={busy}>
          {t('login.submit')}
        </button>
      </form>
      <button type="button" className="link" onClick={() => setLang(lang === 'ro' ? 'en' : 'ro')} aria-label={t('lang.label')}>
        {t('lang.switch')}
      </button>
    </main>
  );
}
