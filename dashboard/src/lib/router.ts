import { useEffect, useState } from 'react';

/**
 * Hash routing (`#/keys`, `#/requests/<id>`): the gateway serves one index.html under /ui/, and a hash never reaches
 * the server, so a reload or a shared link lands on the right page without any server-side route.
 */

export const PAGES = [
  { name: 'overview', label: 'Overview' },
  { name: 'keys', label: 'Keys' },
  { name: 'policies', label: 'Policies' },
  { name: 'providers', label: 'Providers' },
  { name: 'requests', label: 'Requests' },
  { name: 'drill', label: 'Drill' },
] as const;

export type PageName = (typeof PAGES)[number]['name'];

export interface Route {
  page: PageName;
  /** What follows the page in the hash, e.g. a request id; '' when nothing does. */
  param: string;
}

export function parseHash(hash: string): Route {
  const [first = '', ...rest] = hash.replace(/^#\/?/, '').split('/');
  const page = PAGES.find((p) => p.name === first)?.name ?? 'overview';
  return { page, param: page === first ? rest.map((part) => decodeURIComponent(part)).join('/') : '' };
}

export function hrefOf(page: PageName, param?: string): string {
  return param ? `#/${page}/${encodeURIComponent(param)}` : `#/${page}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
