import type { Page } from '@playwright/test';
import { expect, test } from '../tests/fixtures';
import { PayPage } from '../tests/pages/pay';
import { ProfilePage } from '../tests/pages/profile';
import { baseURL } from '../ports';

// What a browser downloads of our own WASM and JS for a page: bytes on the wire (as the server
// compresses them) and decoded. Stripe.js and its frames are not ours and are left out.

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

function report(label: string, weight: Weight): void {
  const total = (key: 'transferred' | 'decoded') =>
    weight.files.reduce((sum, file) => sum + file[key], 0);
  console.log(`\n${label}`);
  for (const file of weight.files) {
    console.log(`  ${file.name.padEnd(72)} ${String(file.transferred).padStart(9)} ${String(file.decoded).padStart(9)}`);
  }
  console.log(`  ${'total (transferred, decoded)'.padEnd(72)} ${String(total('transferred')).padStart(9)} ${String(total('decoded')).padStart(9)}`);
}

test('bytes of our WASM and JS: the card page, and the merchant profile for comparison', async ({
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

  report('Card page /pay (customer, cold cache):', cardWeight);
  report('Customer profile (merchant, cold cache):', profileWeight);
  expect(cardWeight.files.length).toBeGreaterThan(0);
  await context.close();
  await profileContext.close();
});
