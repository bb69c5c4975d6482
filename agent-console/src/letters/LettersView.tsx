import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, getCsrfToken } from '../api';
import { useI18n } from '../i18n/i18n';
import { EmptyState, ErrorText } from '../ui/bits';

interface LetterFields {
  senderName?: string | null;
  postalAddress?: string | null;
  email?: string | null;
  phone?: string | null;
  letterDate?: string | null;
  referenceNumber?: string | null;
  subject?: string | null;
}
interface LetterItem {
  id: number;
  filename: string;
  status: 'received' | 'rejected' | 'ocr' | 'review' | 'released' | 'filed_away';
  refusal: { code: string; reason: string } | null;
  progress: { pagesDone: number; pages: number };
  confidence: number | null;
  conversationId: number | null;
  fields: LetterFields;
  reviewReasons: string[];
  pages?: { pageNo: number; text: string; confidence: number }[];
}
interface UploadItem {
  filename: string;
  duplicate: boolean;
  letter: LetterItem | null;
  refusal: { code: string; reason: string } | null;
}

const FIELDS: (keyof LetterFields)[] = ['senderName', 'postalAddress', 'email', 'phone', 'letterDate', 'referenceNumber', 'subject'];

/** Sends scans as multipart with upload progress (fetch has none); the server answers per file. */
function uploadScans(files: File[], onProgress: (share: number) => void): Promise<UploadItem[]> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const f of files) form.append('files', f, f.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/letters');
    xhr.setRequestHeader('X-CSRF-Token', getCsrfToken());
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || '{}') as { items?: UploadItem[]; error?: { message: string } };
      if (xhr.status >= 400) reject(new Error(body.error?.message ?? `HTTP ${xhr.status}`));
      else resolve(body.items ?? []);
    };
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(form);
  });
}

/** The registry's letters: upload scans with progress, watch OCR progress, and the review queue ("de verificat"). */
export function LettersView() {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [sent, setSent] = useState(0);
  const [results, setResults] = useState<UploadItem[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<number | null>(null);
  const recent = useQuery({ queryKey: ['letters', 'recent'], queryFn: () => api<{ items: LetterItem[] }>('/letters?limit=30'), refetchInterval: 2000 });
  const review = useQuery({ queryKey: ['letters', 'review'], queryFn: () => api<{ items: LetterItem[]; canFileAway: boolean }>('/letters?status=review'), refetchInterval: 5000 });

  const onFiles = async (list: FileList | null) => {
    if (!list?.length) return;
    setError(null);
    setSent(0);
    try {
      setResults(await uploadScans([...list], setSent));
      void qc.invalidateQueries({ queryKey: ['letters'] });
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="letters-title">
      <h1 id="letters-title">{t('letters.title')}</h1>
      <label>
        {t('letters.upload')}
        <input type="file" multiple accept="application/pdf,image/tiff,image/jpeg,image/png" onChange={(e) => void onFiles(e.target.files)} />
      </label>
      {sent > 0 && sent < 1 && <progress max={1} value={sent} aria-label={t('letters.uploading')} />}
      <ErrorText error={error} />
      <ul aria-live="polite">
        {results.map((r, i) => (
          <li key={i}>
            {r.filename}: {r.refusal ? `${t('letters.refused')} — ${r.refusal.reason}` : r.duplicate ? t('letters.duplicate') : t('letters.registered')}
          </li>
        ))}
      </ul>

      <h2>{t('letters.recent')}</h2>
      {recent.data && !recent.data.items.length && <EmptyState>{t('letters.none')}</EmptyState>}
      <table>
        <tbody>
          {recent.data?.items.map((l) => (
            <tr key={l.id}>
              <td>{l.filename}</td>
              <td>{t(`letters.status.${l.status}` as 'letters.status.ocr')}</td>
              <td>{t('letters.pages', { done: l.progress.pagesDone, total: l.progress.pages })}</td>
              <td>{l.refusal?.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>{t('letters.review')}</h2>
      {review.data && !review.data.items.length && <EmptyState>{t('letters.reviewEmpty')}</EmptyState>}
      <ul>
        {review.data?.items.map((l) => (
          <li key={l.id}>
            <button type="button" onClick={() => setOpen(open === l.id ? null : l.id)} aria-expanded={open === l.id}>
              {l.filename} — {l.reviewReasons.map((r) => t(`letters.reason.${r}` as 'letters.reason.no_sender')).join(', ')}
            </button>
            {open === l.id && <ReviewForm id={l.id} canFileAway={review.data?.canFileAway ?? false} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The clerk's correction beside the page image; releasing lets the case into routing. */
function ReviewForm({ id, canFileAway }: { id: number; canFileAway: boolean }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const letter = useQuery({ queryKey: ['letters', id], queryFn: () => api<LetterItem>(`/letters/${id}`) });
  const [fields, setFields] = useState<LetterFields | null>(null);
  const current = fields ?? letter.data?.fields ?? {};
  const release = useMutation({
    mutationFn: () => api(`/letters/${id}/release`, { method: 'POST', body: Object.fromEntries(FIELDS.map((f) => [f, current[f] ?? ''])) }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['letters'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    release.mutate();
  };
  if (!letter.data) return <ErrorText error={letter.error} />;
  return (
    <div className="letter-review">
      <div>
        {Array.from({ length: letter.data.progress.pages }, (_, i) => (
          <img key={i} src={`/api/v1/letters/${id}/pages/${i + 1}/image`} alt={t('letters.pageImage', { n: i + 1 })} style={{ maxWidth: '100%' }} />
        ))}
      </div>
      <form onSubmit={submit}>
        {FIELDS.map((f) => (
          <label key={f}>
            {t(`letters.field.${f}` as 'letters.field.senderName')}
            <input value={current[f] ?? ''} onChange={(e) => setFields({ ...current, [f]: e.target.value })} />
          </label>
        ))}
        <ErrorText error={release.error} />
        <button type="submit" disabled={release.isPending}>
          {t('letters.release')}
        </button>
      </form>
      {canFileAway && <FileAway id={id} />}
    </div>
  );
}

/**
 * Files away a letter nobody can be identified from (OG 27/2002 art. 7: anonymous petitions are not answered):
 * the first button asks, the clerk writes why and confirms; the case is then filed away and never routed.
 */
function FileAway({ id }: { id: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [reason, setReason] = useState('');
  const fileAway = useMutation({
    mutationFn: () => api(`/letters/${id}/file-away`, { method: 'POST', body: { reason } }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['letters'] }),
  });
  if (!asking) {
    return (
      <button type="button" onClick={() => setAsking(true)}>
        {t('letters.fileAway')}
      </button>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    fileAway.mutate();
  };
  return (
    <form onSubmit={submit} role="alertdialog" aria-labelledby={`file-away-${id}`}>
      <p id={`file-away-${id}`}>{t('letters.fileAwayConfirm')}</p>
      <label>
        {t('letters.fileAwayReason')}
        <textarea required minLength={3} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <ErrorText error={fileAway.error} />
      <button type="submit" disabled={fileAway.isPending || reason.trim().length < 3}>
        {t('letters.fileAwayDo')}
      </button>
      <button type="button" onClick={() => setAsking(false)} disabled={fileAway.isPending}>
        {t('letters.cancel')}
      </button>
    </form>
  );
}
