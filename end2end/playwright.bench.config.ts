import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// `make bench`: the same servers as the browser tests, running the measurements in bench/.
export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: '*.bench.ts',
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
});
