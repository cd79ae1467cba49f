/** Screenshots of the browser tests, one PNG per step in test-artifacts/e2e/ (gitignored), kept for CI to upload. */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './prerequisites.js';

export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'e2e');

/** Empties the directory of the last run's screenshots, so every file in it belongs to this run. */
export function resetScreenshots(): void {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const name of readdirSync(SCREENSHOT_DIR)) if (name.endsWith('.png')) rmSync(path.join(SCREENSHOT_DIR, name));
}

export async function saveScreenshot(page: Page, step: string): Promise<string> {
  const file = path.join(SCREENSHOT_DIR, `${step}.png`);
  await page.screenshot({ path: file, fullPage: true, timeout: 15_000 });
  return file;
}
