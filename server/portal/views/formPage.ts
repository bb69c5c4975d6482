import type { Language } from '../../../channels/contract';
import { html, type SafeHtml } from '../html';
import { messages } from '../messages';
import { layout, localPath } from './layout';

/** A category as the form lists it. */
export interface CategoryOption {
  code: string;
  name: string;
  groupCode: string;
  locationBased: boolean;
}

/** What the citizen typed, echoed back when the form is shown again with errors. */
export interface FormValues {
  category?: string;
  description?: string;
  address?: string;
  lat?: string;
  lng?: string;
  name?: string;
  email?: string;
  phone?: string;
  postalAddress?: string;
  consent?: boolean;
}

export type FieldErrors = Partial<Record<keyof FormValues | 'photos' | 'form', string>>;

export interface FormPageProps {
  language: Language;
  categories: CategoryOption[];
  values: FormValues;
  errors: FieldErrors;
  submissionId: string;
  mapTileUrl: string;
  mapCenter: string;
}

/** Groups categories by their group code, keeping the admin's order inside each group. */
function grouped(categories: CategoryOption[]): [string, CategoryOption[]][] {
  const map = new Map<string, CategoryOption[]>();
  for (const c of categories) map.set(c.groupCode, [...(map.get(c.groupCode) ?? []), c]);
  return [...map.entries()];
}

/** A field's describedby list: its hint, and its error when there is one. */
function describedBy(id: string, errors: FieldErrors, hint: boolean): string | undefined {
  const ids = [hint ? `${id}-hint` : '', errors[id as keyof FieldErrors] ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function fieldError(id: string, errors: FieldErrors): SafeHtml | string {
  const e = errors[id as keyof FieldErrors];
  return e ? html`<p class="field-error" id="${id}-error" role="alert"><span aria-hidden="true">⚠ </span>${e}</p>` : '';
}

function input(id: keyof FormValues, label: string, values: FormValues, errors: FieldErrors, opts: { type?: string; autocomplete?: string; hint?: string; required?: boolean } = {}): SafeHtml {
  const d = describedBy(id, errors, Boolean(opts.hint));
  return html`<div class="field${errors[id] ? ' has-error' : ''}">
  <label for="${id}">${label}${opts.required ? ' *' : ''}</label>
  ${opts.hint ? html`<p class="hint" id="${id}-hint">${opts.hint}</p>` : ''}
  <input id="${id}" name="${id}" type="${opts.type ?? 'text'}" value="${(values[id] as string | undefined) ?? ''}"${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : ''}${d ? html` aria-describedby="${d}"` : ''}${errors[id] ? html` aria-invalid="true"` : ''}>
  ${fieldError(id, errors)}
</div>`;
}

/** The submission form: category by group, description, location (map + address), photos, contact, consent. */
export function formPage(p: FormPageProps): string {
  const t = messages(p.language);
  const { values, errors } = p;
  const errorList = Object.entries(errors).filter(([, v]) => v);
  const descD = describedBy('description', errors, true);
  const catD = describedBy('category', errors, true);
  const photosD = describedBy('photos', errors, true);
  const body = html`<h1>${t.formTitle}</h1>
<p>${t.formIntro}</p>
${errorList.length
  ? html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary">
  <h2>${t.errorsTitle}</h2>
  <ul>${errorList.map(([field, message]) => html`<li><a href="#${field === 'form' ? 'category' : field}">${message}</a></li>`)}</ul>
</div>`
  : ''}
<form method="post" action="${localPath(p.language, '/')}" enctype="multipart/form-data" novalidate class="request-form">
  <input type="hidden" name="submissionId" value="${p.submissionId}">
  <div class="field${errors.category ? ' has-error' : ''}">
    <label for="category">${t.category} *</label>
    <p class="hint" id="category-hint">${t.categoryHint}</p>
    <select id="category" name="category" required${catD ? html` aria-describedby="${catD}"` : ''}${errors.category ? html` aria-invalid="true"` : ''}>
      <option value="">${t.categoryChoose}</option>
      ${grouped(p.categories).map(
        ([group, list]) => html`<optgroup label="${t.groups[group] ?? group}">
        ${list.map((c) => html`<option value="${c.code}" data-location-based="${c.locationBased ? '1' : '0'}"${values.category === c.code ? ' selected' : ''}>${c.name}</option>`)}
      </optgroup>`,
      )}
    </select>
    ${fieldError('category', errors)}
  </div>
  <div class="field${errors.description ? ' has-error' : ''}">
    <label for="description">${t.description} *</label>
    <p class="hint" id="description-hint">${t.descriptionHint}</p>
    <textarea id="description" name="description" rows="6" maxlength="4000" required${descD ? html` aria-describedby="${descD}"` : ''}${errors.description ? html` aria-invalid="true"` : ''}>${values.description ?? ''}</textarea>
    ${fieldError('description', errors)}
  </div>
  <fieldset class="location${errors.address ? ' has-error' : ''}">
    <legend>${t.location}</legend>
    <p class="hint" id="location-hint">${t.locationHint}</p>
    <div id="map" class="map" hidden role="application" aria-label="${t.mapLabel}" data-tile-url="${p.mapTileUrl}" data-center="${p.mapCenter}" data-pinned-text="${t.mapPinned('{lat}', '{lng}')}"></div>
    <p id="map-status" class="map-status" aria-live="polite"></p>
    <input type="hidden" id="lat" name="lat" value="${values.lat ?? ''}">
    <input type="hidden" id="lng" name="lng" value="${values.lng ?? ''}">
    ${input('address', t.address, values, errors, { autocomplete: 'street-address' })}
  </fieldset>
  <div class="field${errors.photos ? ' has-error' : ''}">
    <label for="photos">${t.photos}</label>
    <p class="hint" id="photos-hint">${t.photosHint}</p>
    <input id="photos" name="photos" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/heic" multiple${photosD ? html` aria-describedby="${photosD}"` : ''}${errors.photos ? html` aria-invalid="true"` : ''}>
    ${fieldError('photos', errors)}
  </div>
  <fieldset class="contact">
    <legend>${t.contactLegend}</legend>
    <p class="hint" id="contact-hint">${t.contactHint}</p>
    ${input('name', t.name, values, errors, { autocomplete: 'name' })}
    ${input('email', t.email, values, errors, { type: 'email', autocomplete: 'email' })}
    ${input('phone', t.phone, values, errors, { type: 'tel', autocomplete: 'tel' })}
    ${input('postalAddress', t.postalAddress, values, errors, { autocomplete: 'street-address' })}
  </fieldset>
  <div class="hp" aria-hidden="true">
    <label for="website">${t.honeypot}</label>
    <input id="website" name="website" type="text" tabindex="-1" autocomplete="off" value="">
  </div>
  <section class="gdpr" aria-labelledby="gdpr-title">
    <h2 id="gdpr-title">${t.gdprTitle}</h2>
    <p id="gdpr-text">${t.gdprText}</p>
  </section>
  <div class="field checkbox${errors.consent ? ' has-error' : ''}">
    <input id="consent" name="consent" type="checkbox" value="yes"${values.consent ? ' checked' : ''} aria-describedby="gdpr-text${errors.consent ? ' consent-error' : ''}"${errors.consent ? html` aria-invalid="true"` : ''}>
    <label for="consent">${t.consent} *</label>
    ${fieldError('consent', errors)}
  </div>
  <button type="submit">${t.submit}</button>
</form>`;
  return layout({ language: p.language, title: t.formTitle, path: '/', body, map: true, scripts: ['portal.js'] });
}
