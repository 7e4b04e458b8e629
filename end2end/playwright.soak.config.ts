import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import base from './playwright.config';

type WebServer = Extract<NonNullable<PlaywrightTestConfig['webServer']>, unknown[]>[number];

// `make soak` (and its short run in `make test`): the browser tests' servers, with the daily quota
// of customer emails lifted — the soak is one merchant emailing thousands of customers.
const servers = (base.webServer as WebServer[]).map((server) =>
  server.name === 'server'
    ? {
        ...server,
        env: { ...server.env, APP__LIMITS__DAILY_CUSTOMER_EMAILS: '1000000', RUST_LOG: 'warn' },
      }
    : server,
);

export default defineConfig({
  ...base,
  testDir: './soak',
  testMatch: '*.soak.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  webServer: servers,
});
