import type { Language } from '../../../channels/contract';
import { html, type SafeHtml } from '../html';
import { formatDate, formatDateTime, messages } from '../messages';
import type { PublicCaseView, PublicTimelineEntry } from '../tracking';
import { layout, localPath } from './layout';

/** After a successful submission: the registration number and the secret tracking link. */
export function successPage(p: { language: Language; registrationNumber: string; trackingUrl: string; anonymous: boolean; duplicate: boolean; legalDueDate: string | null }): string {
  const t = messages(p.language);
  const body = html`<div class="success" role="status">
  <h1>${t.doneTitle}</h1>
  ${p.duplicate ? html`<p>${t.doneDuplicate}</p>` : ''}
  <dl class="facts">
    <dt>${t.doneNumber}</dt><dd><strong class="regno" id="registration-number">${p.registrationNumber}</strong></dd>
    <dt>${t.legalDeadline}</dt><dd>${p.legalDueDate ? formatDate(p.language, p.legalDueDate) : t.noLegalDeadline}</dd>
    <dt>${t.doneLink}</dt><dd><a id="tracking-link" href="${p.trackingUrl}">${p.trackingUrl}</a></dd>
  </dl>
  <p class="hint">${t.doneLinkHint}</p>
  <p>${p.anonymous ? t.doneAnonymous : t.doneSent}</p>
  <p><a class="button" href="${p.trackingUrl}">${t.openTracking}</a></p>
</div>`;
  return layout({ language: p.language, title: t.doneTitle, path: '/', body });
}

function entryText(language: Language, e: PublicTimelineEntry): SafeHtml {
  const t = messages(language);
  switch (e.kind) {
    case 'created':
      return html`${t.evCreated}`;
    case 'status':
      return html`${t.evStatus(t.statuses[e.status!])}${e.resolution ? html` ${t.resolutions[e.resolution]}.` : ''}${e.text ? html`<p class="reason">${e.text}</p>` : ''}`;
    case 'citizen_message':
      return html`${t.evCitizenMessage(e.photos ?? 0)}`;
    case 'reply':
      return html`<span class="reply-label">${t.evReply}</span><blockquote class="reply">${e.text ?? ''}</blockquote>`;
    case 'extended':
      return html`${t.evExtended(e.date && /^\d{4}-\d{2}-\d{2}$/.test(e.date) ? formatDate(language, e.date) : e.date ?? '')}`;
    case 'rated':
      return html`${t.evRated(e.score ?? 0)}`;
  }
}

/** The part of the tracking page that live updates replace: facts, timeline, rating. */
export function trackingLive(language: Language, v: PublicCaseView, basePath: string, flash?: string, errors: { rating?: string } = {}): SafeHtml {
  const t = messages(language);
  const answered = v.answeredAt;
  return html`<div id="case-live" data-version="${v.version}">
  ${flash ? html`<p class="flash" role="status">${flash}</p>` : ''}
  <dl class="facts">
    <dt>${t.registeredOn}</dt><dd>${formatDateTime(language, v.registeredAt)}</dd>
    ${v.categoryName ? html`<dt>${t.categoryLabel}</dt><dd>${v.categoryName}</dd>` : ''}
    <dt>${t.statusLabel}</dt><dd id="case-status" class="status status-${v.status}">${t.statuses[v.status]}${v.resolution ? html` — <span id="case-resolution">${t.resolutions[v.resolution]}</span>` : ''}</dd>
    <dt>${t.legalDeadline}</dt><dd>${v.legalDueDate ? formatDate(language, v.legalDueDate) : t.noLegalDeadline}</dd>
    <dt>${t.answeredOn}</dt><dd id="case-answered">${answered ? formatDateTime(language, answered) : t.notAnswered}</dd>
    <dt>${t.fixedOn}</dt><dd id="case-fixed">${v.fixedAt ? formatDateTime(language, v.fixedAt) : t.notFixed}</dd>
    ${v.anonymous ? html`<dt class="sr-only">${t.anonymousCase}</dt><dd class="tag">${t.anonymousCase}</dd>` : ''}
  </dl>
  <h2>${t.timeline}</h2>
  <ol class="timeline" id="timeline">
    ${v.timeline.map((e) => html`<li data-kind="${e.kind}"><time datetime="${e.at.toISOString()}">${formatDateTime(language, e.at)}</time> <div>${entryText(language, e)}</div></li>`)}
  </ol>
  ${v.rating ? html`<p class="rated" id="rating-done">${t.rated(v.rating.score)}</p>` : ''}
  ${v.canRate
    ? html`<section class="rate" aria-labelledby="rate-title">
    <h2 id="rate-title">${t.rateTitle}</h2>
    <form method="post" action="${basePath}/rating" enctype="multipart/form-data">
      <fieldset${errors.rating ? html` aria-describedby="score-error"` : ''}>
        <legend>${t.rateScore}</legend>
        <div class="stars">${[1, 2, 3, 4, 5].map((n) => html`<label><input type="radio" name="score" value="${n}" required> ${n}</label>`)}</div>
        ${errors.rating ? html`<p class="field-error" id="score-error" role="alert">${errors.rating}</p>` : ''}
      </fieldset>
      <div class="field"><label for="comment">${t.rateComment}</label><textarea id="comment" name="comment" rows="3" maxlength="2000"></textarea></div>
      <button type="submit">${t.rateSubmit}</button>
    </form>
  </section>`
    : ''}
</div>`;
}

/** The citizen's tracking page. */
export function trackingPage(p: { language: Language; view: PublicCaseView; basePath: string; submissionId: string; flash?: string; errors?: { info?: string; rating?: string } }): string {
  const t = messages(p.language);
  const v = p.view;
  const errors = p.errors ?? {};
  const body = html`<h1>${t.trackTitle(v.registrationNumber)}</h1>
<div id="live-region" aria-live="polite" data-poll="${p.basePath}/status.json" data-updated-text="${t.jsUpdated}">
${trackingLive(p.language, v, p.basePath, p.flash, errors)}
</div>
<p class="hint js-only" hidden>${t.liveNote}</p>
${v.canAddInfo
  ? html`<section class="add-info" aria-labelledby="info-title">
  <h2 id="info-title">${t.addInfoTitle}</h2>
  <form method="post" action="${p.basePath}/info" enctype="multipart/form-data" novalidate>
    <input type="hidden" name="submissionId" value="${p.submissionId}">
    <div class="field${errors.info ? ' has-error' : ''}">
      <label for="info-text">${t.addInfoText}</label>
      <textarea id="info-text" name="text" rows="4" maxlength="4000"${errors.info ? html` aria-invalid="true" aria-describedby="info-error"` : ''}></textarea>
      ${errors.info ? html`<p class="field-error" id="info-error" role="alert">${errors.info}</p>` : ''}
    </div>
    <div class="field">
      <label for="info-photos">${t.photos}</label>
      <p class="hint" id="info-photos-hint">${t.photosHint}</p>
      <input id="info-photos" name="photos" type="file" accept="image/jpeg,image/png,image/webp,image/gif,image/heic" multiple aria-describedby="info-photos-hint">
    </div>
    <button type="submit">${t.addInfoSubmit}</button>
  </form>
</section>`
  : ''}`;
  return layout({ language: p.language, title: t.trackTitle(v.registrationNumber), path: p.basePath.replace(/^\/en/, ''), body, scripts: ['portal.js'] });
}

/** The same page for a missing case, an unknown link and a wrong token. */
export function notFoundPage(language: Language, path: string): string {
  const t = messages(language);
  return layout({ language, title: t.notFoundTitle, path, body: html`<h1>${t.notFoundTitle}</h1><p>${t.notFoundText}</p><p><a href="${localPath(language, '/')}">${t.backHome}</a></p>` });
}

/** Too many requests from one address. */
export function rateLimitedPage(language: Language, path: string, minutes: number): string {
  const t = messages(language);
  return layout({ language, title: t.rateLimitedTitle, path, body: html`<h1>${t.rateLimitedTitle}</h1><p role="alert">${t.rateLimitedText(minutes)}</p><p><a href="${localPath(language, '/')}">${t.backHome}</a></p>` });
}

/** A form that could not be read at all (too large, malformed). */
export function errorPage(language: Language, path: string, message: string): string {
  const t = messages(language);
  return layout({ language, title: t.errorTitle, path, body: html`<h1>${t.errorTitle}</h1><p role="alert">${message}</p><p><a href="${localPath(language, path)}">${t.backHome}</a></p>` });
}
