import type { Language } from '../../../channels/contract';
import { html, type SafeHtml } from '../html';
import { messages } from '../messages';

export interface PageProps {
  language: Language;
  title: string;
  /** The path of this page without the language prefix (for the language switch), e.g. `/harta`. */
  path: string;
  body: SafeHtml;
  /** Script files under /portal-assets/ (progressive enhancement only: every page works without them). */
  scripts?: string[];
  /** Loads Leaflet's stylesheet and script. */
  map?: boolean;
}

/** The portal path of `path` in a language: Romanian at the root, English under /en. */
export function localPath(language: Language, path: string): string {
  if (language === 'ro') return path;
  return path === '/' ? '/en/' : `/en${path}`;
}

/** The page frame: lang attribute, skip link, header with navigation and language switch, main, footer. */
export function layout(p: PageProps): string {
  const t = messages(p.language);
  const other: Language = p.language === 'ro' ? 'en' : 'ro';
  return `<!doctype html>\n${html`<html lang="${p.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${t.siteName}</title>
<link rel="stylesheet" href="/portal-assets/portal.css">
${p.map ? html`<link rel="stylesheet" href="/portal-assets/leaflet/leaflet.css">` : ''}
</head>
<body>
<a class="skip" href="#content">${t.skipToContent}</a>
<header class="site">
  <a class="brand" href="${localPath(p.language, '/')}">${t.siteName}</a>
  <nav aria-label="${t.siteName}">
    <ul>
      <li><a href="${localPath(p.language, '/')}">${t.navSubmit}</a></li>
      <li><a href="${localPath(p.language, p.language === 'ro' ? '/harta' : '/map')}">${t.navMap}</a></li>
      <li><a href="${localPath(other, translatePath(p.path, other))}" hreflang="${other}" lang="${other}" aria-label="${messages(other).otherLanguageLabel}">${t.otherLanguage}</a></li>
    </ul>
  </nav>
</header>
<main id="content" tabindex="-1">
${p.body}
</main>
<footer class="site"><p>${t.footer}</p></footer>
${p.map ? html`<script src="/portal-assets/leaflet/leaflet.js"></script>` : ''}
${(p.scripts ?? []).map((s) => html`<script src="/portal-assets/${s}"></script>`)}
</body>
</html>`}`;
}

/** The map page has a name in each language; everything else keeps its path. */
function translatePath(path: string, to: Language): string {
  if (path === '/harta' || path === '/map') return to === 'ro' ? '/harta' : '/map';
  return path;
}
