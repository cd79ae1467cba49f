/**
 * What the browser tests need before they can start: chromium on the PATH and the dashboard's build in dist/ui.
 * The same rule as the tests that need PostgreSQL or Redis: under CI a missing piece fails the file; elsewhere
 * the tests are skipped and the reason is printed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inCI } from '../support/services.js';
import { CHROMIUM_INSTALL_HINT, findChromium } from './browser.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UI_INDEX = path.join(REPO_ROOT, 'dist', 'ui', 'index.html');
const UI_SOURCES = path.join(REPO_ROOT, 'dashboard', 'src');

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!findChromium()) missing.push(`chromium is not installed (as root: ${CHROMIUM_INSTALL_HINT})`);
  if (!existsSync(UI_INDEX)) missing.push('the dashboard is not built (dist/ui/index.html is missing: run npm run build, or npx vite build --config dashboard/vite.config.ts)');
  return missing;
}

/**
 * Returns why the browser tests are skipped, or undefined when they can run. Under CI a missing prerequisite
 * throws instead, so the test file fails rather than passing by skipping.
 */
export function browserTestsSkipReason(): string | undefined {
  const missing = missingPrerequisites();
  if (missing.length === 0) {
    // A build older than the sources tests yesterday's dashboard: worth saying, but it is still a dashboard.
    if (existsSync(UI_SOURCES) && newestMtimeMs(UI_SOURCES) > statSync(UI_INDEX).mtimeMs) {
      console.warn('[e2e] dist/ui is older than dashboard/src: rebuild it (npx vite build --config dashboard/vite.config.ts) to test the current sources');
    }
    return undefined;
  }
  const reason = missing.join('; ');
  if (inCI()) throw new Error(`the browser tests are required under CI: ${reason}`);
  console.warn(`[skip] the dashboard's browser tests are skipped: ${reason} (set CI=1 to make this a failure)`);
  return reason;
}
