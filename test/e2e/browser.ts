/**
 * A real browser for the dashboard's end-to-end tests: Debian's chromium, driven by playwright-core (whose own
 * browser download does not work on these machines). Playwright gives every launch a fresh profile in a temporary
 * directory (its `--user-data-dir`, removed on close) and refuses one passed in `args`, so none is passed here.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** Headless, and nothing that reaches beyond the machine (updates, sync, QUIC probes, first-run pages). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const CHROMIUM_INSTALL_HINT = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium';

/** What `command -v chromium` prints, or undefined when chromium is not on the PATH. */
export function findChromium(): string | undefined {
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return found === '' ? undefined : found;
  } catch {
    return undefined;
  }
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(`chromium is not installed (command -v chromium found nothing); as root run: ${CHROMIUM_INSTALL_HINT}`);
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_FLAGS], timeout: 30_000 });
}
