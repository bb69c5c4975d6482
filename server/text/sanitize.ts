import sanitizeHtml from 'sanitize-html';

/**
 * HTML from outside (email bodies) cleaned for display: no scripts, styles that can load things, event
 * handlers, forms or frames; links open outside; remote images are dropped (they track the reader), inline
 * `cid:` images stay. The console still shows the result only inside a sandboxed frame.
 */
export function sanitizeEmailHtml(html: string): string {
  return sanitizeHtml(html, {
    allowedTags: [
      'a', 'b', 'i', 'u', 'em', 'strong', 'p', 'br', 'div', 'span', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code',
      'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tfoot', 'tr', 'td', 'th', 'hr', 'img', 'font', 'small', 'sub', 'sup',
    ],
    allowedAttributes: {
      a: ['href', 'title'],
      img: ['src', 'alt', 'width', 'height'],
      td: ['colspan', 'rowspan', 'align'],
      th: ['colspan', 'rowspan', 'align'],
      '*': ['dir', 'lang'],
    },
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesByTag: { img: ['cid', 'data'] },
    transformTags: { a: sanitizeHtml.simpleTransform('a', { target: '_blank', rel: 'noopener noreferrer nofollow' }) },
    // An image whose remote source was removed is an empty box: drop it.
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  });
}
