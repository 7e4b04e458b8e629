import type { Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { expect, test } from '../tests/fixtures';
import { App } from '../tests/pages/app';
import { PayPage } from '../tests/pages/pay';
import { ProfilePage } from '../tests/pages/profile';
import { baseURL } from '../ports';

// What a browser downloads of our own WASM and JS for a page: bytes on the wire (as the server
// compresses them: brotli, Chromium accepts it) and decoded. Stripe.js and its frames are not
// ours and are left out. With BENCH_WEIGHT_JSON set, the totals are also written there as JSON
// for `make bench` (row P2).

interface Weight {
  files: { name: string; transferred: number; decoded: number }[];
}

function record(page: Page): Weight {
  const weight: Weight = { files: [] };
  page.on('requestfinished', async (request) => {
    const url = new URL(request.url());
    if (url.origin !== baseURL || !/\.(wasm|js)$/.test(url.pathname)) return;
    const response = await request.response();
    const sizes = await request.sizes();
    const body = response ? await response.body().catch(() => Buffer.alloc(0)) : Buffer.alloc(0);
    weight.files.push({
      name: url.pathname,
      transferred: sizes.responseBodySize,
      decoded: body.length,
    });
  });
  return weight;
}

const total = (weight: Weight, key: 'transferred' | 'decoded') =>
  weight.files.reduce((sum, file) => sum + file[key], 0);

function report(label: string, weight: Weight): void {
  console.log(`\n${label}`);
  for (const file of weight.files) {
    console.log(`  ${file.name.padEnd(72)} ${String(file.transferred).padStart(9)} ${String(file.decoded).padStart(9)}`);
  }
  console.log(`  ${'total (transferred, decoded)'.padEnd(72)} ${String(total(weight, 'transferred')).padStart(9)} ${String(total(weight, 'decoded')).padStart(9)}`);
}

test('bytes of our WASM and JS: the card page, the first merchant page after sign-in, a profile', async ({
  page,
  browser,
  merchant,
  profile,
  mailbox,
}) => {
  // The merchant's profile, loaded cold in a browser of its own (same session cookie).
  const profileContext = await browser.newContext({ storageState: await page.context().storageState() });
  const cold = new ProfilePage(await profileContext.newPage(), profile.customer, profile.url);
  const profileWeight = record(cold.page);
  await cold.goto(profile.url);
  await expect(cold.action('Send Email')).toBeEnabled();
  await cold.page.waitForLoadState('networkidle');

  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);

  const context = await browser.newContext();
  const pay = new PayPage(await context.newPage());
  const cardWeight = record(pay.page);
  await pay.goto(link);
  await expect(pay.saveCardButton).toBeEnabled();
  await pay.page.waitForLoadState('networkidle');

  // Signing in from a cold browser: the sign-in page, then the first merchant page (Customers).
  const signInContext = await browser.newContext();
  const signIn = new App(await signInContext.newPage());
  const signInWeight = record(signIn.page);
  await signIn.goto('/sign-in');
  await signIn.submitSignIn(merchant.email, merchant.password);
  await signIn.expectSignedIn(merchant);
  await signIn.page.waitForLoadState('networkidle');

  report('Card page /pay (customer, cold cache):', cardWeight);
  report('Sign-in and the first merchant page, Customers (cold cache):', signInWeight);
  report('Customer profile (merchant, cold cache):', profileWeight);
  expect(cardWeight.files.length).toBeGreaterThan(0);
  expect(signInWeight.files.length).toBeGreaterThan(0);
  const out = process.env.BENCH_WEIGHT_JSON;
  if (out) {
    const summary = (weight: Weight) => ({
      transferred: total(weight, 'transferred'),
      decoded: total(weight, 'decoded'),
      files: weight.files,
    });
    writeFileSync(
      out,
      JSON.stringify({ pay: summary(cardWeight), signIn: summary(signInWeight), profile: summary(profileWeight) }, null, 2),
    );
  }
  await context.close();
  await profileContext.close();
  await signInContext.close();
});
