import { useEffect, useState } from 'react';

/** The console's screens, in the URL hash so a reload or a shared link opens the same one. */
export type Route =
  | { name: 'mine' }
  | { name: 'queue'; queue: string }
  | { name: 'case'; id: number }
  | { name: 'search'; q: string }
  | { name: 'wallboard' }
  | { name: 'reports' }
  | { name: 'admin-sla' }
  | { name: 'admin-canned' }
  | { name: 'admin-email' }
  | { name: 'letters' };

export function parseRoute(hash: string): Route {
  const [path, query] = hash.replace(/^#\/?/, '').split('?');
  const parts = (path ?? '').split('/').filter(Boolean);
  if (parts[0] === 'case' && /^\d+$/.test(parts[1] ?? '')) return { name: 'case', id: Number(parts[1]) };
  if (parts[0] === 'queue' && parts[1]) return { name: 'queue', queue: decodeURIComponent(parts[1]) };
  if (parts[0] === 'wallboard') return { name: 'wallboard' };
  if (parts[0] === 'reports') return { name: 'reports' };
  if (parts[0] === 'admin' && parts[1] === 'sla') return { name: 'admin-sla' };
  if (parts[0] === 'admin' && parts[1] === 'canned') return { name: 'admin-canned' };
  if (parts[0] === 'admin' && parts[1] === 'email') return { name: 'admin-email' };
  if (parts[0] === 'letters') return { name: 'letters' };
  if (parts[0] === 'search') return { name: 'search', q: new URLSearchParams(query ?? '').get('q') ?? '' };
  return { name: 'mine' };
}

export function href(route: Route): string {
  switch (route.name) {
    case 'mine':
      return '#/mine';
    case 'queue':
      return `#/queue/${encodeURIComponent(route.queue)}`;
    case 'case':
      return `#/case/${route.id}`;
    case 'search':
      return `#/search?q=${encodeURIComponent(route.q)}`;
    case 'wallboard':
      return '#/wallboard';
    case 'reports':
      return '#/reports';
    case 'admin-sla':
      return '#/admin/sla';
    case 'admin-canned':
      return '#/admin/canned';
    case 'admin-email':
      return '#/admin/email';
    case 'letters':
      return '#/letters';
  }
}

export function navigate(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
