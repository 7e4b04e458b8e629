import type { APIRequestContext, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { Challenge, PaymentElement } from './pages/stripe';
import { baseURL, stripeEmulatorURL } from '../ports';

// The emulated Stripe.js (served by the app's Stripe emulator) mounted on a page of the app's
// origin: the Payment Element must live in a cross-origin iframe, and the card number must never
// reach the host page, exactly as with the real Stripe.js.

const hostURL = `${baseURL}/__stripe-element-test`;
const authFailureMessage =
  'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

interface Account {
  secretKey: string;
  publishableKey: string;
}

/** A fresh emulator account: every distinct sk_test_ key is one. */
function newAccount(): Account {
  const suffix = `e2e${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}`;
  return { secretKey: `sk_test_${suffix}`, publishableKey: `pk_test_${suffix}` };
}

async function emulatorPost(
  request: APIRequestContext,
  account: Account,
  path: string,
  form: Record<string, string>,
): Promise<any> {
  const response = await request.post(`${stripeEmulatorURL}${path}`, {
    headers: { Authorization: `Bearer ${account.secretKey}` },
    form,
  });
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

async function emulatorGet(request: APIRequestContext, account: Account, path: string): Promise<any> {
  const response = await request.get(`${stripeEmulatorURL}${path}`, {
    headers: { Authorization: `Bearer ${account.secretKey}` },
  });
  expect(response.ok(), await response.text()).toBe(true);
  return response.json();
}

interface Setup {
  account: Account;
  customerId: string;
  setupIntentId: string;
  clientSecret: string;
}

/** A customer and an off-session SetupIntent for it, as the app's server creates them. */
async function createSetupIntent(request: APIRequestContext): Promise<Setup> {
  const account = newAccount();
  const customer = await emulatorPost(request, account, '/v1/customers', {
    name: 'Jamie Rivera',
    email: `jamie-${Date.now()}@example.com`,
  });
  const setupIntent = await emulatorPost(request, account, '/v1/setup_intents', {
    customer: customer.id,
    usage: 'off_session',
  });
  expect(setupIntent.status).toBe('requires_payment_method');
  return { account, customerId: customer.id, setupIntentId: setupIntent.id, clientSecret: setupIntent.client_secret };
}

/** The host page: loads /v3/ from the emulator, mounts the Payment Element, Save card confirms. */
function hostPage(setup: Setup): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Stripe Element test</title></head>
<body>
  <h1>Save a card</h1>
  <form id="card-form">
    <div id="payment-element"></div>
    <button type="submit">Save card</button>
  </form>
  <output id="outcome"></output>
  <script src="${stripeEmulatorURL}/v3/"></script>
  <script>
    const stripe = Stripe(${JSON.stringify(setup.account.publishableKey)});
    const elements = stripe.elements({
      clientSecret: ${JSON.stringify(setup.clientSecret)},
      appearance: { theme: 'stripe' },
    });
    const paymentElement = elements.create('payment');
    paymentElement.on('ready', () => { document.body.dataset.elementReady = 'true'; });
    paymentElement.mount('#payment-element');
    document.getElementById('card-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const result = await stripe.confirmSetup({ elements, redirect: 'if_required' });
      const outcome = result.error
        ? { error: { type: result.error.type, code: result.error.code, message: result.error.message } }
        : { status: result.setupIntent.status, id: result.setupIntent.id, payment_method: result.setupIntent.payment_method };
      document.getElementById('outcome').textContent = JSON.stringify(outcome);
    });
  </script>
</body>
</html>`;
}

/** Serves the host page on the app's origin and waits for the Payment Element to be ready. */
async function openHostPage(page: Page, setup: Setup): Promise<PaymentElement> {
  // A page fulfilled by page.route has no network address, so Chromium's Local Network Access
  // counts it as public and blocks its requests to the (loopback) emulator. The app's own pages
  // are loopback like the emulator and need no such permission.
  await page.context().grantPermissions(['local-network-access'], { origin: baseURL });
  await page.route(hostURL, (route) => route.fulfill({ contentType: 'text/html', body: hostPage(setup) }));
  await page.goto(hostURL);
  await expect(page.locator('body')).toHaveAttribute('data-element-ready', 'true');

  // The element is an iframe of the emulator's origin, not the page's, and its inside is out of
  // the page's reach.
  const element = new PaymentElement(page);
  const iframe = element.iframe;
  await expect(iframe).toHaveCount(1);
  const src = await iframe.getAttribute('src');
  expect(src).not.toBeNull();
  expect(new URL(src!).origin).toBe(stripeEmulatorURL);
  expect(new URL(src!).origin).not.toBe(new URL(page.url()).origin);
  const readable = await iframe.evaluate((el) => (el as HTMLIFrameElement).contentDocument !== null);
  expect(readable).toBe(false);
  return element;
}

/** Clicks Save card and returns what the page wrote into its <output>. */
async function saveCard(page: Page): Promise<any> {
  const output = page.locator('output#outcome');
  await expect(output).toBeEmpty();
  await page.getByRole('button', { name: 'Save card', exact: true }).click();
  await expect(output).not.toBeEmpty();
  return JSON.parse((await output.textContent()) ?? '');
}

/** The host page's DOM (and any field value in it) never holds the card number. */
async function expectNoCardNumber(page: Page, number: string): Promise<void> {
  const digits = number.replace(/\D/g, '');
  const spaced = digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  const html = await page.content();
  const values = await page.evaluate(() =>
    Array.from(document.querySelectorAll('input, textarea, select'))
      .map((el) => (el as HTMLInputElement).value)
      .join('\n'),
  );
  for (const text of [html, values]) {
    expect(text).not.toContain(digits);
    expect(text).not.toContain(spaced);
    expect(text).not.toContain(number);
  }
}

async function customerCards(request: APIRequestContext, setup: Setup): Promise<any[]> {
  const list = await emulatorGet(request, setup.account, `/v1/customers/${setup.customerId}/payment_methods?type=card`);
  return list.data;
}

test.describe('Stripe Payment Element (emulated Stripe.js)', () => {
  let pageErrors: Error[] = [];
  test.beforeEach(({ page }) => {
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
  });
  test.afterEach(() => {
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
  });

  test('4242 4242 4242 4242 is saved and attached to the customer', async ({ page, request }) => {
    const setup = await createSetupIntent(request);
    const element = await openHostPage(page, setup);
    const number = '4242 4242 4242 4242';

    await test.step('confirm the SetupIntent from the Payment Element', async () => {
      await element.fill(number);
      await expectNoCardNumber(page, number);
      const outcome = await saveCard(page);
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      expect(outcome.id).toBe(setup.setupIntentId);
      expect(outcome.payment_method).toMatch(/^pm_/);
      await expectNoCardNumber(page, number);
    });

    await test.step("the emulator's API shows the card on the customer", async () => {
      const intent = await emulatorGet(request, setup.account, `/v1/setup_intents/${setup.setupIntentId}`);
      expect(intent.status).toBe('succeeded');
      const cards = await customerCards(request, setup);
      expect(cards).toHaveLength(1);
      expect(cards[0].id).toBe(intent.payment_method);
      expect(cards[0].customer).toBe(setup.customerId);
      expect(cards[0].card.last4).toBe('4242');
      expect(cards[0].card.brand).toBe('visa');
    });
  });

  test('4000 0025 0000 3155 asks for 3D Secure; Complete saves the card', async ({ page, request }) => {
    const setup = await createSetupIntent(request);
    const element = await openHostPage(page, setup);
    const number = '4000 0025 0000 3155';
    await element.fill(number);
    await page.getByRole('button', { name: 'Save card', exact: true }).click();

    const challenge = new Challenge(page);
    await test.step('the challenge opens in a frame of the emulator', async () => {
      await expect(challenge.frame.getByText('3D Secure 2 Test Page')).toBeVisible();
      const src = await challenge.iframe.getAttribute('src');
      expect(new URL(src!).origin).toBe(stripeEmulatorURL);
      await expectNoCardNumber(page, number);
    });

    await test.step('Complete: the SetupIntent succeeds', async () => {
      await challenge.answer('Complete');
      const output = page.locator('output#outcome');
      await expect(output).not.toBeEmpty();
      const outcome = JSON.parse((await output.textContent()) ?? '');
      expect(outcome.error).toBeUndefined();
      expect(outcome.status).toBe('succeeded');
      await expect(challenge.iframe).toHaveCount(0);
      const cards = await customerCards(request, setup);
      expect(cards).toHaveLength(1);
      expect(cards[0].card.last4).toBe('3155');
      await expectNoCardNumber(page, number);
    });
  });

  test('4000 0025 0000 3155 with Fail: authentication failure, no card saved', async ({ page, request }) => {
    const setup = await createSetupIntent(request);
    const element = await openHostPage(page, setup);
    const number = '4000 0025 0000 3155';
    await element.fill(number);
    await page.getByRole('button', { name: 'Save card', exact: true }).click();

    const challenge = new Challenge(page);
    await expect(challenge.frame.getByText('3D Secure 2 Test Page')).toBeVisible();
    await challenge.answer('Fail');

    const output = page.locator('output#outcome');
    await expect(output).not.toBeEmpty();
    const outcome = JSON.parse((await output.textContent()) ?? '');
    expect(outcome.error).toEqual({
      type: 'invalid_request_error',
      code: 'setup_intent_authentication_failure',
      message: authFailureMessage,
    });
    await expect(challenge.iframe).toHaveCount(0);

    const intent = await emulatorGet(request, setup.account, `/v1/setup_intents/${setup.setupIntentId}`);
    expect(intent.status).toBe('requires_payment_method');
    expect(intent.last_setup_error.code).toBe('setup_intent_authentication_failure');
    expect(await customerCards(request, setup)).toHaveLength(0);
    await expectNoCardNumber(page, number);
  });

  test('an incomplete card number is reported inside the frame', async ({ page, request }) => {
    const setup = await createSetupIntent(request);
    const element = await openHostPage(page, setup);
    const partial = '4242 4242 42';
    await element.fill(partial);

    const frame = element.frame;
    await expect(frame.getByText('Your card number is incomplete.')).toBeVisible();
    const outcome = await saveCard(page);
    expect(outcome.error).toEqual({
      type: 'validation_error',
      code: 'incomplete_number',
      message: 'Your card number is incomplete.',
    });
    await expect(frame.getByText('Your card number is incomplete.')).toBeVisible();

    const intent = await emulatorGet(request, setup.account, `/v1/setup_intents/${setup.setupIntentId}`);
    expect(intent.status).toBe('requires_payment_method');
    await expectNoCardNumber(page, partial);
  });
});
