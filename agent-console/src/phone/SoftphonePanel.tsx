import { useEffect, useRef, useState } from 'react';
import type { Call, Device } from '@twilio/voice-sdk';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import { setSoftphoneRegistered, usePhoneConfig } from './phoneState';

/** GET /api/v1/phone/token. */
interface TokenData {
  identity: string;
  token: string;
  expiresAt: string;
}

type SoftphoneState =
  | { kind: 'loading' }
  | { kind: 'registering' }
  | { kind: 'ready' }
  | { kind: 'incoming'; from: string | null }
  | { kind: 'in_call'; since: number }
  | { kind: 'error'; reason: 'unreachable' | 'token' | 'microphone' | 'unsupported' };

/** How long registering may take before the panel says Twilio cannot be reached (the SDK keeps retrying). */
const REGISTER_TIMEOUT_MS = 15_000;

function errorReason(err: unknown): Extract<SoftphoneState, { kind: 'error' }>['reason'] {
  const e = err as { code?: number; name?: string; message?: string } | null;
  if (e?.name === 'NotAllowedError' || e?.code === 31401 || e?.code === 31208) return 'microphone';
  if (e?.code === 20101 || e?.code === 20104 || e?.code === 31204 || e?.code === 31205) return 'token';
  if (e?.code === 31000 && /not supported/i.test(e.message ?? '')) return 'unsupported';
  return 'unreachable';
}

function Timer({ since }: { since: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const s = Math.max(0, Math.floor((now - since) / 1000));
  return <span className="call-timer" data-testid="call-timer">{`${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`}</span>;
}

/**
 * The browser softphone (Twilio Voice SDK, loaded only when the phone channel is configured): fetches an access
 * token, registers a Device for incoming calls, refreshes the token before it expires, answers the call the
 * accept flow bridges to this agent (`<Dial><Client>`), mutes and hangs up. When the browser cannot register,
 * it says so and what happens instead: calls ring the agent's own phone number when one is on file.
 */
function Softphone({ phoneNumber }: { phoneNumber: string | null }) {
  const { t } = useI18n();
  const [state, setState] = useState<SoftphoneState>({ kind: 'loading' });
  const [muted, setMuted] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const callRef = useRef<Call | null>(null);

  useEffect(() => {
    let cancelled = false;
    let device: Device | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const set = (s: SoftphoneState) => {
      if (!cancelled) setState(s);
    };
    const fail = (err: unknown) => {
      clearTimeout(timer);
      setSoftphoneRegistered(false);
      set({ kind: 'error', reason: errorReason(err) });
    };
    const follow = (call: Call) => {
      callRef.current = call;
      setMuted(false);
      const idle = () => {
        if (callRef.current === call) callRef.current = null;
        set(device?.state === 'registered' ? { kind: 'ready' } : { kind: 'registering' });
      };
      call.on('accept', () => set({ kind: 'in_call', since: Date.now() }));
      call.on('mute', (isMuted: boolean) => setMuted(isMuted));
      for (const ev of ['disconnect', 'cancel', 'reject'] as const) call.on(ev, idle);
      call.on('error', () => idle());
    };

    void (async () => {
      try {
        const token = await api<TokenData>('/phone/token');
        const { Device: DeviceClass } = await import('@twilio/voice-sdk');
        if (cancelled) return;
        if (!DeviceClass.isSupported) return fail({ code: 31000, message: 'not supported' });
        set({ kind: 'registering' });
        device = new DeviceClass(token.token, { closeProtection: true, tokenRefreshMs: 60_000, logLevel: 'silent' });
        device.on('registering', () => set({ kind: 'registering' }));
        device.on('registered', () => {
          clearTimeout(timer);
          setSoftphoneRegistered(true);
          setState((s) => (s.kind === 'incoming' || s.kind === 'in_call' ? s : { kind: 'ready' }));
        });
        device.on('unregistered', () => setSoftphoneRegistered(false));
        device.on('error', (err: unknown) => {
          // An error during a call belongs to the call; before registering it means the softphone cannot work.
          if (!callRef.current) fail(err);
        });
        device.on('tokenWillExpire', () => {
          api<TokenData>('/phone/token')
            .then((fresh) => device?.updateToken(fresh.token))
            .catch((err: unknown) => fail({ code: 20104, cause: err }));
        });
        device.on('incoming', (call: Call) => {
          follow(call);
          set({ kind: 'incoming', from: call.parameters.From ?? null });
        });
        timer = setTimeout(() => fail({ code: 53000 }), REGISTER_TIMEOUT_MS);
        await device.register();
      } catch (err) {
        fail(err);
      }
    })();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      setSoftphoneRegistered(false);
      try {
        device?.destroy();
      } catch {
        // Already torn down.
      }
    };
  }, [attempt]);

  const call = callRef.current;
  return (
    <section className="softphone" aria-label={t('softphone.title')} data-testid="softphone" data-state={state.kind}>
      <h2>
        <span aria-hidden="true">☎ </span>
        {t('softphone.title')}
      </h2>
      <p role="status" aria-live="polite" data-testid="softphone-status">
        {state.kind === 'error' ? t(`softphone.error.${state.reason}`) : t(`softphone.state.${state.kind}`)}
        {state.kind === 'in_call' && (
          <>
            {' '}
            <Timer since={state.since} />
          </>
        )}
      </p>
      {state.kind === 'error' && (
        <p className="hint" data-testid="softphone-fallback">
          {phoneNumber ? t('softphone.fallback.number', { number: phoneNumber }) : t('softphone.fallback.none')}{' '}
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>
            {t('softphone.retry')}
          </button>
        </p>
      )}
      {state.kind === 'incoming' && call && (
        <div className="buttons">
          <button type="button" className="primary" onClick={() => call.accept()}>
            {t('softphone.answer')}
          </button>
          <button type="button" onClick={() => call.reject()}>
            {t('softphone.reject')}
          </button>
        </div>
      )}
      {state.kind === 'in_call' && call && (
        <div className="buttons">
          <button type="button" aria-pressed={muted} onClick={() => call.mute(!muted)}>
            {muted ? t('softphone.unmute') : t('softphone.mute')}
          </button>
          <button type="button" className="danger" onClick={() => call.disconnect()}>
            {t('softphone.hangUp')}
          </button>
        </div>
      )}
    </section>
  );
}

/** The softphone panel, present only when the server says the phone channel and the softphone are configured. */
export function SoftphonePanel() {
  const config = usePhoneConfig();
  if (!config.data?.softphone) return null;
  return <Softphone phoneNumber={config.data.phoneNumber} />;
}
