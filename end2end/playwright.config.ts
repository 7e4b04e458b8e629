import { defineConfig } from '@playwright/test';
import { appPort, baseURL, mailboxPort, mailboxURL, smtpPort, stripeEmulatorPort } from './ports';

// The release server built by `cargo leptos build --release` (see the Makefile for CARGO_TARGET_DIR).
const targetDir = process.env.CARGO_TARGET_DIR ?? `${process.env.HOME}/.cache/cardonfile/target`;
const serverBin = process.env.E2E_SERVER_BIN ?? `${targetDir}/release/server`;

export default defineConfig({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  workers: 2,
  // One retry on CI, where a test that passes only on its retry is listed as "flaky" (read the
  // list: it is a bug somewhere). Locally a failure stops at the first try.
  retries: process.env.CI ? 1 : 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  outputDir: './test-results',
  use: {
    baseURL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    // Debian's Chromium; Playwright never downloads a browser here.
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  projects: [
    {
      name: 'chromium',
      use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } },
    },
  ],
  webServer: [
    {
      name: 'maildev',
      command: `./node_modules/.bin/maildev --smtp ${smtpPort} --web ${mailboxPort} --ip 127.0.0.1 --web-ip 127.0.0.1`,
      url: `${mailboxURL}/api/healthz`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      name: 'server',
      // From the repo root, on a fresh SQLite file every run.
      cwd: '..',
      command: `bash -c 'rm -rf target/e2e && mkdir -p target/e2e && exec "$E2E_SERVER_BIN"'`,
      url: `${baseURL}/health`,
      reuseExistingServer: false,
      timeout: 120_000,
      gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
      env: {
        E2E_SERVER_BIN: serverBin,
        APP__MODE: 'demo',
        APP__SERVER__PORT: String(appPort),
        APP__BASE_URL: baseURL,
        APP__DATABASE__URL: 'sqlite://target/e2e/app.db?mode=rwc',
        APP__SMTP__URL: `smtp://127.0.0.1:${smtpPort}`,
        APP__DEMO__SEED: 'false',
        APP__DEMO__MAILBOX_URL: mailboxURL,
        // The Stripe emulator on a fixed port, so specs can call its API and load its Stripe.js.
        APP__STRIPE__EMULATOR_PORT: String(stripeEmulatorPort),
        // Every test signs up its own merchant, all from 127.0.0.1.
        APP__LIMITS__SIGN_UPS_PER_CLIENT: '100000',
        APP__SECRETS__KEY_FILE: 'target/e2e/master.key',
        APP__STRIPE__EMULATOR_STATE_FILE: 'target/e2e/stripe-emulator.json',
        LEPTOS_SITE_ROOT: 'target/site',
        RUST_LOG: 'info',
      },
    },
  ],
});
