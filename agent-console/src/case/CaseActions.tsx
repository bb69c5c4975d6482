import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useI18n } from '../i18n/i18n';
import type { CaseDetail, Directory } from '../types';
import { ErrorText } from '../ui/bits';

const STATUSES = ['open', 'pending_citizen', 'pending_department', 'resolved', 'closed', 'filed_away', 'spam'] as const;
const RESOLUTIONS = ['answered', 'fixed', 'rejected', 'forwarded'] as const;

/** Status, category, department and transfer: each a small form posting one command (duplicates: DuplicatePicker). */
export function CaseActions({ c }: { c: CaseDetail }) {
  const { t, lang } = useI18n();
  const qc = useQueryClient();
  const dir = useQuery({ queryKey: ['directory'], queryFn: () => api<Directory>('/directory') });
  const name = (r: { nameRo: string; nameEn: string }) => (lang === 'ro' ? r.nameRo : r.nameEn);
  const [status, setStatus] = useState<string>(c.status === 'new' ? 'open' : c.status);
  const [resolution, setResolution] = useState<string>('answered');
  const [transferTo, setTransferTo] = useState('');
  const [note, setNote] = useState('');
  const [done, setDone] = useState('');

  const run = useMutation({
    mutationFn: async (action: { path: string; body: unknown }) => api(`/conversations/${c.id}/${action.path}`, { method: 'POST', body: action.body }),
    onSuccess: () => {
      setDone(t('actions.done'));
      void qc.invalidateQueries({ queryKey: ['case', c.id] });
      void qc.invalidateQueries({ queryKey: ['cases'] });
    },
  });
  const act = (path: string, body: unknown) => (e?: FormEvent) => {
    e?.preventDefault();
    setDone('');
    run.mutate({ path, body });
  };
  return (
    <section className="actions" aria-labelledby={`actions-${c.id}`}>
      <h3 id={`actions-${c.id}`}>{t('actions.title')}</h3>
      <form onSubmit={act('status', { status, ...(status === 'resolved' ? { resolution } : {}), expectedStatus: c.status })}>
        <label htmlFor="status">{t('actions.changeStatus')}</label>
        <select id="status" value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`status.${s}`)}
            </option>
          ))}
        </select>
        {status === 'resolved' && (
          <>
            <label htmlFor="resolution">{t('resolution.label')}</label>
            <select id="resolution" value={resolution} onChange={(e) => setResolution(e.target.value)}>
              {RESOLUTIONS.map((r) => (
                <option key={r} value={r}>
                  {t(`resolution.${r}`)}
                </option>
              ))}
            </select>
          </>
        )}
        <button type="submit">{t('actions.apply')}</button>
      </form>

      <form onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="category">{t('actions.category')}</label>
        <select id="category" value={c.category?.id ?? ''} onChange={(e) => act('category', { categoryId: e.target.value ? Number(e.target.value) : null, moveToDepartment: true })()}>
          <option value="">{t('case.none')}</option>
          {(dir.data?.categories ?? []).map((k) => (
            <option key={k.id} value={k.id}>
              {name(k)}
            </option>
          ))}
        </select>
        <label htmlFor="department">{t('actions.department')}</label>
        <select id="department" value={c.department?.id ?? ''} onChange={(e) => act('department', { departmentId: e.target.value ? Number(e.target.value) : null })()}>
          <option value="">{t('case.generalQueue')}</option>
          {(dir.data?.departments ?? []).map((d) => (
            <option key={d.id} value={d.id}>
              {name(d)}
            </option>
          ))}
        </select>
      </form>

      <form
        onSubmit={(e) => {
          const [kind, id] = transferTo.split(':');
          if (!kind) return e.preventDefault();
          act('transfer', kind === 'agent' ? { toAgentId: Number(id), ...(note ? { note } : {}) } : { toDepartmentId: id === 'general' ? null : Number(id), ...(note ? { note } : {}) })(e);
        }}
      >
        <label htmlFor="transfer-to">{t('actions.transfer')}</label>
        <select id="transfer-to" value={transferTo} onChange={(e) => setTransferTo(e.target.value)}>
          <option value="">{t('actions.transferTo')}…</option>
          {(dir.data?.agents ?? []).map((a) => (
            <option key={`a${a.id}`} value={`agent:${a.id}`}>
              {t('actions.transferAgent', { name: a.name })}
            </option>
          ))}
          <option value="dept:general">{t('actions.transferDept', { name: t('case.generalQueue') })}</option>
          {(dir.data?.departments ?? []).map((d) => (
            <option key={`d${d.id}`} value={`dept:${d.id}`}>
              {t('actions.transferDept', { name: name(d) })}
            </option>
          ))}
        </select>
        <label htmlFor="transfer-note">{t('actions.transferNote')}</label>
        <input id="transfer-note" value={note} onChange={(e) => setNote(e.target.value)} />
        <button type="submit">{t('actions.transfer')}</button>
      </form>

      <p role="status">{done}</p>
      <ErrorText error={run.error} />
    </section>
  );
}
