import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import type { Directory } from '../types';
import { ErrorText } from '../ui/bits';

/** Internal notes with @mentions: pick a colleague to insert their @handle; the server resolves handles to agents. */
export function NoteComposer({ conversationId }: { conversationId: number }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const [text, setText] = useState('');
  const [done, setDone] = useState('');
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<Directory>('/directory') });
  const add = useMutation({
    mutationFn: () => api(`/conversations/${conversationId}/notes`, { method: 'POST', body: { text } }),
    onSuccess: () => {
      setText('');
      setDone(t('note.added'));
      void qc.invalidateQueries({ queryKey: ['case', conversationId] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    if (text.trim()) add.mutate();
  };
  return (
    <form className="note-composer" onSubmit={submit} aria-labelledby={`note-${conversationId}`}>
      <h3 id={`note-${conversationId}`}>{t('note.title')}</h3>
      <label htmlFor="note-text">{t('note.text')}</label>
      <textarea id="note-text" data-shortcut="note" rows={3} value={text} onChange={(e) => setText(e.target.value)} />
      <label htmlFor="mention">{t('note.mention')}</label>
      <select
        id="mention"
        value=""
        onChange={(e) => {
          if (e.target.value) setText((old) => `${old}${old && !old.endsWith(' ') ? ' ' : ''}@${e.target.value} `);
        }}
      >
        <option value="">—</option>
        {(dir.data?.agents ?? []).map((a) => (
          <option key={a.id} value={a.handle}>
            {a.name} (@{a.handle})
          </option>
        ))}
      </select>
      <button type="submit" disabled={add.isPending}>
        {t('note.add')}
      </button>
      <p role="status">{done}</p>
      <ErrorText error={add.error} />
    </form>
  );
}
