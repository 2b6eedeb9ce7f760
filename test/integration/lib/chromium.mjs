// Headless Chromium for the page tests: Debian's chromium driven by
// playwright-core.  `skip` says why the tests cannot run (node:test's
// skip option), or is false.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync'];
export const skip = existsSync(CHROMIUM) ? false
  : `${CHROMIUM} is not installed (apt-get install chromium, or tools/dev.sh test)`;

// A browser launched with those arguments.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
