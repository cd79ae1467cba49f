/**
 * Readings taken from the dashboard's page, by accessible role and name: where a secret can be found, how big a
 * chart was drawn, what a headline figure says.
 */
import type { Locator, Page } from 'playwright-core';

/** The browser globals these readings use (the project's tsconfig has no DOM library). */
interface PageGlobals {
  localStorage: StorageLike;
  sessionStorage: StorageLike;
  document: { cookie: string; documentElement: { outerHTML: string }; querySelectorAll(selector: string): ArrayLike<{ value: string }> };
  location: { href: string };
}
interface StorageLike {
  length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
}

/**
 * Every place in the page where `secret` can be read by a script or seen: local and session storage (keys and
 * values), script-visible cookies, the URL, the markup and the values of form fields. Empty when it is nowhere.
 * Only the places are returned, never the secret, so a failing assertion prints no credential.
 */
export async function placesHolding(page: Page, secret: string): Promise<string[]> {
  const found = await page.evaluate((needle) => {
    const g = globalThis as unknown as PageGlobals;
    const dump = (storage: StorageLike): string => {
      const parts: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i) ?? '';
        parts.push(key, storage.getItem(key) ?? '');
      }
      return parts.join('\n');
    };
    const fields = Array.from(g.document.querySelectorAll('input, textarea'), (field) => field.value).join('\n');
    const places: Record<string, string> = {
      localStorage: dump(g.localStorage),
      sessionStorage: dump(g.sessionStorage),
      'document.cookie': g.document.cookie,
      URL: g.location.href,
      markup: g.document.documentElement.outerHTML,
      'form fields': fields,
    };
    return Object.entries(places)
      .filter(([, text]) => text.includes(needle))
      .map(([place]) => place);
  }, secret);
  if (page.url().includes(secret) && !found.includes('URL')) found.push('URL');
  return found;
}

export interface ChartReading {
  width: number;
  height: number;
  /** svg and canvas elements inside the chart's `role="img"` element. */
  surfaces: number;
  /** Shapes drawn in its svg: axes, lines, areas, bars. */
  shapes: number;
}

export async function readChart(chart: Locator): Promise<ChartReading> {
  await chart.waitFor({ state: 'visible' });
  const box = await chart.boundingBox();
  return {
    width: box?.width ?? 0,
    height: box?.height ?? 0,
    surfaces: await chart.locator('svg, canvas').count(),
    shapes: await chart.locator('svg path, svg rect, svg polyline, svg polygon').count(),
  };
}

/**
 * The number a headline figure shows (`<dt>label</dt><dd>value, detail</dd>`): the first line of the term's
 * definition, with thousands separators, currency signs and suffixes dropped. NaN when it is not a number.
 */
export async function readKpi(scope: Page | Locator, label: string): Promise<number> {
  const terms = await scope.getByRole('term').allInnerTexts();
  const index = terms.findIndex((t) => t.trim() === label);
  if (index < 0) throw new Error(`no figure labelled "${label}" (figures: ${terms.join(', ')})`);
  const text = await scope.getByRole('definition').nth(index).innerText();
  const value = (text.split('\n')[0] ?? '').replace(/[^0-9.-]/g, '');
  return value === '' ? NaN : Number(value);
}
