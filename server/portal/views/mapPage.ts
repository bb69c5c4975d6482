import type { Language } from '../../../channels/contract';
import { html, raw } from '../html';
import { formatDateTime, messages } from '../messages';
import type { CategoryOption } from './formPage';
import { layout, localPath } from './layout';

export interface MapPoint {
  id: string;
  lat: number;
  lng: number;
  category: string;
  status: 'open' | 'closed';
}

export interface MapPageProps {
  language: Language;
  categories: CategoryOption[];
  filter: { category: string; status: string };
  counts: { code: string; name: string; open: number; closed: number }[];
  list: { id: string; registeredAt: Date; category: string; status: string; place: string }[];
  points: MapPoint[];
  mapTileUrl: string;
  mapCenter: string;
}

/** The public map of operational reports: a filter, counts per category, a list, and the map where JS runs. */
export function mapPage(p: MapPageProps): string {
  const t = messages(p.language);
  const path = p.language === 'ro' ? '/harta' : '/map';
  const totals = p.counts.reduce((a, c) => ({ open: a.open + c.open, closed: a.closed + c.closed }), { open: 0, closed: 0 });
  // JSON inside a non-executable script block; '<' is escaped so the data can never close the element.
  const points = JSON.stringify(p.points).replace(/</g, '\\u003c');
  const body = html`<h1>${t.mapTitle}</h1>
<p>${t.mapIntro}</p>
<form method="get" action="${localPath(p.language, path)}" class="filter">
  <div class="field"><label for="f-category">${t.filterCategory}</label>
    <select id="f-category" name="category"><option value="">${t.filterAll}</option>
      ${p.categories.map((c) => html`<option value="${c.code}"${p.filter.category === c.code ? ' selected' : ''}>${c.name}</option>`)}
    </select></div>
  <div class="field"><label for="f-status">${t.filterStatus}</label>
    <select id="f-status" name="status">
      <option value="">${t.filterAll}</option>
      <option value="open"${p.filter.status === 'open' ? ' selected' : ''}>${t.filterOpen}</option>
      <option value="closed"${p.filter.status === 'closed' ? ' selected' : ''}>${t.filterClosed}</option>
    </select></div>
  <button type="submit">${t.filterApply}</button>
</form>
<div id="public-map" class="map" hidden role="region" aria-label="${t.mapTitle}" data-tile-url="${p.mapTileUrl}" data-center="${p.mapCenter}"></div>
<script type="application/json" id="map-points">${raw(points)}</script>
<h2>${t.countsTitle}</h2>
<table class="counts">
  <thead><tr><th scope="col">${t.countsCategory}</th><th scope="col">${t.countsOpen}</th><th scope="col">${t.countsClosed}</th><th scope="col">${t.countsTotal}</th></tr></thead>
  <tbody>${p.counts.map((c) => html`<tr><th scope="row">${c.name}</th><td>${c.open}</td><td>${c.closed}</td><td>${c.open + c.closed}</td></tr>`)}</tbody>
  <tfoot><tr><th scope="row">${t.countsTotal}</th><td id="total-open">${totals.open}</td><td id="total-closed">${totals.closed}</td><td>${totals.open + totals.closed}</td></tr></tfoot>
</table>
<h2>${t.listTitle}</h2>
${p.list.length
  ? html`<table class="requests"><thead><tr><th scope="col">${t.listNumber}</th><th scope="col">${t.listDate}</th><th scope="col">${t.countsCategory}</th><th scope="col">${t.statusLabel}</th><th scope="col">${t.listPlace}</th></tr></thead>
<tbody>${p.list.map((r) => html`<tr><td>${r.id}</td><td>${formatDateTime(p.language, r.registeredAt)}</td><td>${r.category}</td><td>${r.status}</td><td>${r.place}</td></tr>`)}</tbody></table>`
  : html`<p>${t.listEmpty}</p>`}`;
  return layout({ language: p.language, title: t.mapTitle, path, body, map: true, scripts: ['portal.js'] });
}
