import { useState, type ComponentType } from 'react';
import type { ChannelKind } from '../../../channels/contract';
import { useI18n, type Translate } from '../i18n/i18n';
import type { AttachmentInfo, TimelineEvent, TimelineMessage } from '../types';

interface RendererProps {
  message: TimelineMessage;
  caseId: number;
}

const fileUrl = (caseId: number, a: AttachmentInfo) => `/api/v1/conversations/${caseId}/attachments/${a.id}`;

function Attachments({ message, caseId, skip = [] }: RendererProps & { skip?: number[] }) {
  const { t } = useI18n();
  const files = message.attachments.filter((a) => !a.inline && !skip.includes(a.id));
  if (!files.length) return null;
  return (
    <div className="attachments">
      <strong>{t('msg.attachments')}:</strong>{' '}
      {files.map((a) => (
        <a key={a.id} href={fileUrl(caseId, a)} target="_blank" rel="noopener noreferrer" className="attachment">
          {a.filename} ({Math.ceil(a.size / 1024)} KB)
        </a>
      ))}
    </div>
  );
}

/** Splits plain text into what the sender wrote and the quoted history below it. */
export function splitQuoted(text: string): { body: string; quoted: string } {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex(
    (l, i) => /^(On .+ wrote:|În .+ a scris:|La .+ a scris:|-----\s*Original Message|-----\s*Mesaj original)/i.test(l.trim()) || (l.startsWith('>') && lines.slice(i).every((x) => x.startsWith('>') || !x.trim())),
  );
  if (at <= 0) return { body: text, quoted: '' };
  return { body: lines.slice(0, at).join('\n').trimEnd(), quoted: lines.slice(at).join('\n') };
}

function PlainText({ text }: { text: string }) {
  const { t } = useI18n();
  const { body, quoted } = splitQuoted(text);
  return (
    <>
      <p className="text">{body}</p>
      {quoted && (
        <details className="quoted">
          <summary>{t('msg.quoted', { n: quoted.split('\n').length })}</summary>
          <p className="text">{quoted}</p>
        </details>
      )}
    </>
  );
}

/** Email: text with quoted history folded; the HTML only in a sandboxed frame (no scripts, no same origin). */
function EmailMessage({ message, caseId }: RendererProps) {
  const { t } = useI18n();
  const [showQuoted, setShowQuoted] = useState(false);
  const fold = showQuoted ? '' : 'blockquote,.gmail_quote,.yahoo_quoted,#divRplyFwdMsg~*{display:none!important}';
  const srcDoc = message.html ? `<!doctype html><meta charset="utf-8"><base target="_blank"><style>body{font:14px/1.4 system-ui,sans-serif;margin:8px;color:#111}img{max-width:100%}${fold}</style>${message.html}` : null;
  return (
    <>
      {message.subject && <p className="msg-subject">{message.subject}</p>}
      {srcDoc ? (
        <>
          <iframe className="email-frame" title={message.subject ?? t('channel.email')} sandbox="" srcDoc={srcDoc} referrerPolicy="no-referrer" />
          <button type="button" className="link" aria-pressed={showQuoted} onClick={() => setShowQuoted((v) => !v)}>
            {t('msg.quoted', { n: '…' })}
          </button>
        </>
      ) : (
        <PlainText text={message.text} />
      )}
      <Attachments message={message} caseId={caseId} />
    </>
  );
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** A phone call: duration, the recording when there is one, the transcription. */
function VoiceMessage({ message, caseId }: RendererProps) {
  const { t } = useI18n();
  const meta = message.metadata as { durationSeconds?: number; talkSeconds?: number; recording?: { url?: string; sid?: string; durationSeconds?: number | null }; voicemail?: boolean };
  const duration = meta.talkSeconds ?? meta.durationSeconds ?? meta.recording?.durationSeconds ?? null;
  const audioFile = message.attachments.find((a) => a.contentType.startsWith('audio/'));
  const src = audioFile ? fileUrl(caseId, audioFile) : meta.recording?.url ? `${meta.recording.url}${/\.(mp3|wav)$/.test(meta.recording.url) ? '' : '.mp3'}` : null;
  return (
    <>
      <p>
        <span aria-hidden="true">☎ </span>
        {duration !== null ? t('msg.callDuration', { d: formatDuration(duration) }) : null}
      </p>
      {src ? (
        <figure>
          <figcaption>{t('msg.recording')}</figcaption>
          <audio controls preload="none" src={src} />
        </figure>
      ) : (
        <p className="muted">{t('msg.noRecording')}</p>
      )}
      {message.text && (
        <details open>
          <summary>{t('msg.transcription')}</summary>
          <p className="text">{message.text}</p>
        </details>
      )}
    </>
  );
}

function SmsMessage({ message }: RendererProps) {
  return <p className="text sms-bubble">{message.text}</p>;
}

/**
 * A paper letter, one page at a time: the page image beside the text read from it (CNPs redacted by the
 * server). Previous/next buttons, and ←/→, PageUp/PageDown, Home/End while the viewer has focus. The original
 * scan is linked only when the server lists it (the roles that may open it).
 */
function LetterMessage({ message, caseId }: RendererProps) {
  const { t } = useI18n();
  const letter = message.letter;
  const count = letter ? Math.max(letter.pageCount, letter.pages.length) : 0;
  const [page, setPage] = useState(1);
  const confidence = (message.metadata as { letter?: { confidence?: number | null } }).letter?.confidence;
  const scans = message.attachments;
  if (!letter || count === 0) {
    // No letter record (an older case): the text and whatever files came with it.
    return (
      <div className="letter">
        <section>
          <h4>{t('msg.ocr')}</h4>
          <p className="text">{message.text}</p>
        </section>
        <Attachments message={message} caseId={caseId} />
      </div>
    );
  }
  const go = (n: number) => setPage(Math.min(count, Math.max(1, n)));
  const current = letter.pages.find((p) => p.pageNo === page);
  const viewerId = `letter-${message.id}`;
  return (
    <div className="letter-msg" data-testid="letter" data-letter-id={letter.id}>
      {letter.status === 'received' || letter.status === 'ocr' ? <p className="muted">{t('msg.letterReading', { done: letter.pagesDone, total: letter.pageCount })}</p> : null}
      {typeof confidence === 'number' && <p className="muted">{t('msg.ocrConfidence', { p: Math.round(confidence <= 1 ? confidence * 100 : confidence) })}</p>}
      <div
        className="letter-viewer"
        role="group"
        aria-roledescription={t('msg.pageViewer')}
        aria-label={t('msg.pageOf', { n: page, total: count })}
        tabIndex={0}
        data-testid="letter-viewer"
        onKeyDown={(e) => {
          const to = { ArrowRight: page + 1, PageDown: page + 1, ArrowLeft: page - 1, PageUp: page - 1, Home: 1, End: count }[e.key];
          if (to === undefined) return;
          e.preventDefault();
          go(to);
        }}
      >
        <nav className="letter-pager" aria-label={t('msg.pages')}>
          <button type="button" onClick={() => go(page - 1)} disabled={page <= 1} aria-controls={viewerId}>
            ← {t('msg.prevPage')}
          </button>
          <span aria-live="polite" data-testid="letter-page">
            {t('msg.pageOf', { n: page, total: count })}
          </span>
          <button type="button" onClick={() => go(page + 1)} disabled={page >= count} aria-controls={viewerId}>
            {t('msg.nextPage')} →
          </button>
        </nav>
        <div className="letter-page" id={viewerId}>
          <figure>
            <img
              key={page}
              src={`/api/v1/letters/${letter.id}/pages/${page}/image`}
              alt={t('msg.pageImage', { n: page, total: count })}
              data-testid="letter-page-image"
            />
          </figure>
          <section>
            <h4>{t('msg.ocr')}</h4>
            {current?.status === 'done' ? (
              <p className="text" data-testid="letter-page-text">
                {current.text}
              </p>
            ) : current?.status === 'failed' ? (
              <p className="muted">{t('msg.pageFailed')}</p>
            ) : (
              <p className="muted">{t('msg.pageNotRead')}</p>
            )}
          </section>
        </div>
      </div>
      {scans.length > 0 ? (
        <p>
          {scans.map((a) => (
            <a key={a.id} href={fileUrl(caseId, a)} target="_blank" rel="noopener noreferrer" className="attachment" data-testid="original-scan">
              {t('msg.originalScan')}: {a.filename} ({Math.ceil(a.size / 1024)} KB)
            </a>
          ))}
        </p>
      ) : message.originalScanHidden ? (
        <p className="muted">{t('msg.originalScanHidden')}</p>
      ) : null}
    </div>
  );
}

/** A portal post (or a form from another city-hall system): text, photos, the place on the map. */
function PortalMessage({ message, caseId }: RendererProps) {
  const { t } = useI18n();
  const photos = message.attachments.filter((a) => a.contentType.startsWith('image/'));
  const location = (message.metadata as { location?: { address?: string } }).location;
  return (
    <>
      {message.subject && <p className="msg-subject">{message.subject}</p>}
      <PlainText text={message.text} />
      {location?.address && <p>{t('msg.location', { a: location.address })}</p>}
      {photos.map((p) => (
        <img key={p.id} className="photo" src={fileUrl(caseId, p)} alt={p.filename} loading="lazy" />
      ))}
      <Attachments message={message} caseId={caseId} skip={photos.map((p) => p.id)} />
    </>
  );
}

/** One renderer per channel: a new channel kind fails to compile here until the console can show it. */
export const MESSAGE_RENDERERS = {
  voice: VoiceMessage,
  sms: SmsMessage,
  email: EmailMessage,
  portal: PortalMessage,
  letter: LetterMessage,
  api: PortalMessage,
} satisfies Record<ChannelKind, ComponentType<RendererProps>>;

/** Internal notes: never sent, shown apart. */
export function NoteMessage({ message }: RendererProps) {
  return <p className="text">{message.text}</p>;
}

/** One line for a timeline event (status, assignment, SLA…), in words, with an icon for warnings. */
export function describeEvent(e: TimelineEvent, t: Translate, agentName: (id: number | null | undefined) => string): string {
  const d = e.data as Record<string, unknown>;
  const status = (s: unknown) => (typeof s === 'string' ? t(`status.${s}` as never) : '?');
  switch (e.type) {
    case 'conversation.created':
      return t('event.conversation.created', { n: String(d.registrationNumber ?? '') });
    case 'conversation.status_changed': {
      const line = t('event.conversation.status_changed', { from: status(d.from), to: status(d.to) });
      return d.resolution ? `${line} (${t(`resolution.${d.resolution}` as never)})` : line;
    }
    case 'conversation.assigned':
      return t('event.conversation.assigned', { name: agentName((d.agentId ?? d.assigneeId ?? e.actorId) as number) });
    case 'conversation.transferred':
      return `${t('event.conversation.transferred')}${d.toAgentId ? ` → ${agentName(d.toAgentId as number)}` : ''}${d.note ? `: ${d.note}` : ''}`;
    case 'conversation.joined':
      return t('event.conversation.joined', { n: String(d.intoRegistrationNumber ?? '') });
    case 'conversation.duplicates_joined':
      return t('event.conversation.duplicates_joined', { n: ((d.registrationNumbers as string[]) ?? []).join(', ') });
    case 'conversation.related':
      return t('event.conversation.related', { n: String(d.registrationNumber ?? '') });
    case 'sla.warning':
    case 'sla.breached':
    case 'sla.escalated':
      return t(`event.${e.type}`, { kind: String(d.kind ?? '') });
    case 'conversation.department_changed':
    case 'conversation.category_changed':
    case 'conversation.queued':
    case 'message.queued':
    case 'message.received':
    case 'note.added':
    case 'conversation.unassigned':
    case 'conversation.join_moved':
    case 'conversation.legal_basis_changed':
    case 'legal.extended':
    case 'letter.released':
    case 'letter.review_needed':
    case 'letter.filed_away':
    case 'rating.created':
    case 'reply.copy_skipped':
    case 'acknowledgement.skipped':
    case 'message.other_sender':
    case 'offer.created':
    case 'offer.accepted':
    case 'offer.revoked':
    case 'call.queued':
    case 'call.offered':
    case 'call.accepted':
    case 'call.declined':
    case 'call.answered':
    case 'call.started':
    case 'call.dequeued':
    case 'call.recording':
    case 'call.voicemail':
    case 'call.agent_no_answer':
    case 'call.bridge_failed':
    case 'call.fallback_to_phone':
    case 'call.offer_expired':
    case 'call.offer_revoked':
    case 'call.converted_to_request':
      return t(`event.${e.type}`);
    default:
      return e.type.startsWith('offer.') ? t('event.offer', { type: e.type }) : t('event.other', { type: e.type });
  }
}
