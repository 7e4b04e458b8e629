import type { Page } from '@playwright/test';
import {
  actionsPanel,
  cardLinkIn,
  connectDemoStripe,
  createCustomer,
  expect,
  newCustomer,
  newMerchant,
  signUp,
  test,
  waitForApp,
  waitForEmail,
} from '../tests/helpers';
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
  request,
}) => {
  const merchant = newMerchant('bench');
  const customer = newCustomer('bench');
  await signUp(page, merchant);
  await connectDemoStripe(page);
  await createCustomer(page, customer);

  // The merchant's profile, loaded cold in a browser of its own (same session cookie).
  const profileContext = await browser.newContext({ storageState: await page.context().storageState() });
  const profilePage = await profileContext.newPage();
  const profileWeight = record(profilePage);
  await profilePage.goto(page.url());
  await waitForApp(profilePage);
  await expect(actionsPanel(profilePage).getByRole('button', { name: 'Send Email' })).toBeEnabled();
  await profilePage.waitForLoadState('networkidle');

  await actionsPanel(page).getByRole('button', { name: 'Send Email', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Send', exact: true }).click();
  const email = await waitForEmail(request, customer.email, `${merchant.business} asks you to add a card`);

  const context = await browser.newContext();
  const payPage = await context.newPage();
  const cardWeight = record(payPage);
  await payPage.goto(cardLinkIn(email.text));
  await waitForApp(payPage);
  await expect(payPage.getByRole('button', { name: 'Save card', exact: true })).toBeEnabled();
  await payPage.waitForLoadState('networkidle');

  report('Card page /pay (customer, cold cache):', cardWeight);
  report('Customer profile (merchant, cold cache):', profileWeight);
  expect(cardWeight.files.length).toBeGreaterThan(0);
  await context.close();
  await profileContext.close();
});
