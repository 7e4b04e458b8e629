import { defineConfig, type PlaywrightTestConfig } from '@playwright/test';
import base from './playwright.config';
import { stripeEmulatorURL } from './ports';

type WebServer = Extract<NonNullable<PlaywrightTestConfig['webServer']>, unknown[]>[number];

// `make soak` (and its short run in `make test`): the browser tests' servers, with the daily quota
// of customer emails lifted — the soak is one merchant emailing thousands of customers — and the
// Stripe emulator in a process of its own (`server stripe-emulator`): it stands in for Stripe and
// keeps every object it is sent, so in the server's process it would be counted in the server's
// memory, which the soak measures.
const servers = (base.webServer as WebServer[]).flatMap((server) =>
  server.name === 'server'
    ? [
        {
          name: 'stripe-emulator',
          cwd: server.cwd,
          command: `bash -c 'exec "$E2E_SERVER_BIN" stripe-emulator'`,
          url: `${stripeEmulatorURL}/v3/`,
          reuseExistingServer: false,
          timeout: 60_000,
          gracefulShutdown: { signal: 'SIGTERM' as const, timeout: 5_000 },
          env: { ...server.env, APP__STRIPE__EMULATOR_STATE_FILE: '', RUST_LOG: 'warn' },
        },
        {
          ...server,
          env: {
            ...server.env,
            APP__STRIPE__EMULATOR_URL: stripeEmulatorURL,
            APP__LIMITS__DAILY_CUSTOMER_EMAILS: '1000000',
            RUST_LOG: 'warn',
          },
        },
      ]
    : [server],
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
