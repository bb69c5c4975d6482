import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import type { CannedResponseItem } from '../types';
import { EmptyState, ErrorText } from '../ui/bits';

type Draft = { id?: number; title: string; body: string; language: 'ro' | 'en'; shortcut: string; active: boolean };
const EMPTY: Draft = { title: '', body: '', language: 'ro', shortcut: '', active: true };

/** Canned responses: everyone reads them; supervisors and administrators write them (the server checks the role too). */
export function CannedResponsesView({ role }: { role: 'agent' | 'supervisor' | 'admin' }) {
  const { t } = useI18n();
  const qc = useQueryClient();
  const canEdit = role !== 'agent';
  const list = useQuery({
    queryKey: ['canned', 'admin'],
    queryFn: () => api<{ items: (CannedResponseItem & { active: boolean })[]; variables: string[] }>(`/canned-responses${canEdit ? '?includeInactive=true' : ''}`),
  });
  const [draft, setDraft] = useState<Draft | null>(null);
  const [done, setDone] = useState('');
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['canned'] });
  };
  const save = useMutation({
    mutationFn: (d: Draft) => {
      const body = { title: d.title, body: d.body, language: d.language, shortcut: d.shortcut.trim() || null, active: d.active };
      return d.id ? api(`/canned-responses/${d.id}`, { method: 'PATCH', body }) : api('/canned-responses', { method: 'POST', body });
    },
    onSuccess: () => {
      setDraft(null);
      setDone(t('canned.saved'));
      refresh();
    },
  });
  const remove = useMutation({ mutationFn: (id: number) => api(`/canned-responses/${id}`, { method: 'DELETE' }), onSuccess: refresh });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft) save.mutate(draft);
  };
  const vars = (list.data?.variables ?? []).map((v) => `{{${v}}}`).join(', ');
  return (
    <section aria-labelledby="canned-title">
      <h1 id="canned-title">{t('canned.title')}</h1>
      {!canEdit && <p className="muted">{t('canned.readOnly')}</p>}
      {canEdit && !draft && (
        <button type="button" onClick={() => setDraft(EMPTY)}>
          {t('canned.new')}
        </button>
      )}
      {draft && (
        <form onSubmit={submit} className="composer">
          <label htmlFor="cr-title">{t('canned.titleField')}</label>
          <input id="cr-title" required value={draft.title} onChange={(e) => setDraft({ ...draft, title: e.target.value })} />
          <label htmlFor="cr-body">{t('canned.body')}</label>
          <textarea id="cr-body" rows={6} required value={draft.body} onChange={(e) => setDraft({ ...draft, body: e.target.value })} aria-describedby="cr-vars" />
          <small id="cr-vars">{t('canned.variables', { list: vars })}</small>
          <label htmlFor="cr-lang">{t('canned.language')}</label>
          <select id="cr-lang" value={draft.language} onChange={(e) => setDraft({ ...draft, language: e.target.value as 'ro' | 'en' })}>
            <option value="ro">română</option>
            <option value="en">English</option>
          </select>
          <label htmlFor="cr-shortcut">{t('canned.shortcut')}</label>
          <input id="cr-shortcut" value={draft.shortcut} onChange={(e) => setDraft({ ...draft, shortcut: e.target.value })} />
          <label>
            <input type="checkbox" checked={draft.active} onChange={(e) => setDraft({ ...draft, active: e.target.checked })} /> {t('canned.active')}
          </label>
          <button type="submit" className="primary" disabled={save.isPending}>
            {t('canned.save')}
          </button>{' '}
          <button type="button" onClick={() => setDraft(null)}>
            {t('canned.cancel')}
          </button>
          <ErrorText error={save.error} />
        </form>
      )}
      <p role="status">{done}</p>
      <ErrorText error={list.error ?? remove.error} />
      {list.data && list.data.items.length === 0 ? (
        <EmptyState>{t('canned.empty')}</EmptyState>
      ) : (
        <ul className="search-results">
          {(list.data?.items ?? []).map((r) => (
            <li key={r.id}>
              <strong>{r.title}</strong> {r.shortcut ? `(/${r.shortcut})` : ''} · {r.language} {r.active ? '' : `· ✕ ${t('canned.active')}`}
              <p className="text">{r.body}</p>
              {canEdit && (
                <>
                  <button type="button" onClick={() => setDraft({ id: r.id, title: r.title, body: r.body, language: r.language, shortcut: r.shortcut ?? '', active: r.active })}>
                    {t('canned.edit')}
                  </button>{' '}
                  <button type="button" onClick={() => remove.mutate(r.id)}>
                    {t('canned.delete')}
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
