// Headless Chromium for the browser tests (Debian's chromium, driven by
// playwright-core); `skip` says why a test cannot run without it.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const skip = existsSync(CHROMIUM) ? false
  : `${CHROMIUM} is not installed (apt-get install chromium, or tools/dev.sh test)`;

export async function launch() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
