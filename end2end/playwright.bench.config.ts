import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The page-weight measurement in bench/. `scripts/bench.sh` (make bench) runs it against the
// servers it started itself (BENCH_EXTERNAL_SERVERS=1, ports in E2E_*_PORT); without that it
// starts the browser tests' servers.
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  webServer: process.env.BENCH_EXTERNAL_SERVERS === '1' ? undefined : base.webServer,
});
