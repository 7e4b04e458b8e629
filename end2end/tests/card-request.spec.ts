import type { APIRequestContext, Browser, BrowserContext, Page, Response } from '@playwright/test';
import {
  actionsPanel,
  answerChallenge,
  cardLinkIn,
  challengeFrame,
  connectDemoStripe,
  createCustomer,
  type Customer,
  expect,
  expectProfile,
  expectSameDocument,
  fillPaymentElement,
  heading,
  markDocument,
  type Merchant,
  newMerchant,
  notificationItem,
  notificationItems,
  paymentElementFrame,
  signUp,
  test,
  testCardExpiry,
  uniqueEmail,
  waitForApp,
  waitForEmail,
  waitForEmails,
} from './helpers';
import { stripeEmulatorURL } from '../ports';

// Send Email on a customer's profile → the email in maildev → the customer's /pay page in a
// browser of their own → the card on the merchant's profile, which is never reloaded: it follows
// along through the profile's live updates.

test.describe.configure({ mode: 'parallel' });

const authFailure = 'unable to authenticate';

function janeDoe(prefix: string): Customer {
  return {
    firstName: 'Jane',
    lastName: 'Doe',
    email: uniqueEmail(prefix),
    phone: '+1 555 0100',
    notes: 'Booked the harbour tour by phone.',
  };
}

function requestSubject(merchant: Merchant): string {
  return `${merchant.business} asks you to add a card`;
}

/** A merchant with demo Stripe connected and Jane Doe's profile open (and marked). */
async function merchantWithCustomer(
  page: Page,
  prefix: string,
): Promise<{ merchant: Merchant; customer: Customer; profileUrl: string }> {
  const merchant = newMerchant(prefix);
  const customer = janeDoe(prefix);
  await signUp(page, merchant);
  await connectDemoStripe(page);
  const profileUrl = await createCustomer(page, customer);
  await expectProfile(page, customer);
  await markDocument(page);
  return { merchant, customer, profileUrl };
}

/** Send Email (or Resend) → the dialog → Send; checks the dialog and the status line. */
async function sendCardRequest(
  page: Page,
  customer: Customer,
  options: { note?: string; resend?: boolean } = {},
): Promise<void> {
  const label = options.resend ? 'Resend' : 'Send Email';
  const title = options.resend ? 'Resend card request' : 'Send card request';
  await actionsPanel(page).getByRole('button', { name: label, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: title });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(`To: Jane Doe <${customer.email}>`);
  await expect(dialog).toContainText('The link will be valid for 7 days.');
  const note = dialog.getByLabel('Personal note (optional)', { exact: true });
  await expect(note).toBeVisible();
  if (options.note !== undefined) await note.fill(options.note);
  await expect(dialog.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(
    actionsPanel(page)
      .getByRole('status')
      .filter({ hasText: `Card request sent to ${customer.email}.` }),
  ).toHaveText(/^Card request sent to \S+\. The link is valid until .+\.$/);
}

/** Sends a card request and returns the link from the email it produced. */
async function sendAndReadLink(
  page: Page,
  request: APIRequestContext,
  merchant: Merchant,
  customer: Customer,
): Promise<string> {
  await sendCardRequest(page, customer);
  await expect(notificationItem(page, 'Card request', customer.email)).toHaveAttribute(
    'data-state',
    'sent',
  );
  const email = await waitForEmail(request, customer.email, requestSubject(merchant));
  return cardLinkIn(email.text);
}

interface CustomerBrowser {
  context: BrowserContext;
  page: Page;
  response: Response;
}

/** Opens the emailed link as the customer would: a browser with none of the merchant's cookies. */
async function openLinkAsCustomer(browser: Browser, link: string): Promise<CustomerBrowser> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(link);
  expect(response).not.toBeNull();
  await waitForApp(page);
  return { context, page, response: response! };
}

/** The card form of /pay, loaded and ready for a card. */
async function expectCardForm(page: Page, merchant: Merchant): Promise<void> {
  expect(new URL(page.url()).pathname).toBe('/pay');
  await expect(heading(page, merchant.business, 1)).toBeVisible();
  await expect(page.getByText('Hi Jane,', { exact: true })).toBeVisible();
  await expect(heading(page, 'Card details', 2)).toBeVisible();
  const frame = page.locator(paymentElementFrame);
  await expect(frame).toHaveCount(1);
  expect(new URL((await frame.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
  await expect(page.getByRole('button', { name: 'Save card', exact: true })).toBeEnabled();
}

function saveCardButton(page: Page) {
  return page.getByRole('button', { name: 'Save card', exact: true });
}

function cardAlert(page: Page) {
  return page.getByRole('alert').filter({ hasText: /\S/ });
}

async function expectCardSaved(page: Page, last4: string): Promise<void> {
  await expect(heading(page, 'Your card has been saved', 2)).toBeVisible();
  await expect(
    page.getByText(`Visa •••• ${last4} — expires ${testCardExpiry().shown}`, { exact: true }),
  ).toBeVisible();
}

/** The card as the merchant's Payment Options list it. */
function paymentOption(page: Page, last4: string) {
  return page
    .getByRole('region', { name: 'Payment Options' })
    .getByRole('listitem')
    .filter({ hasText: `Visa •••• ${last4} — expires ${testCardExpiry().shown}` });
}

test('the full journey: Send Email, the customer saves a card, the profile follows live', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(60_000);
  const { merchant, customer, profileUrl } = await merchantWithCustomer(page, 'cr-journey');
  const note = `See you on the sunset tour! ${Date.now()}`;
  const requestItem = notificationItem(page, 'Card request', customer.email);

  await test.step('Send Email with a note: Notifications shows it sent, without a reload', async () => {
    await sendCardRequest(page, customer, { note });
    await expect(page.getByText('No emails sent yet.')).toHaveCount(0);
    await expect(requestItem).toHaveCount(1);
    await expect(requestItem).toHaveAttribute('data-state', 'sent');
    await expect(requestItem).toContainText('Sent — accepted by the mail server');
    await expect(actionsPanel(page).getByRole('button', { name: 'Resend', exact: true })).toBeVisible();
    await expectSameDocument(page);
  });

  let link = '';
  await test.step('the email reaches the customer with the link and the note', async () => {
    const email = await waitForEmail(request, customer.email, requestSubject(merchant));
    expect(email.text).toContain('No account or login needed');
    expect(email.text).toContain(note);
    link = cardLinkIn(email.text);
    expect(email.html).toContain(link);
  });

  const customerSide = await openLinkAsCustomer(browser, link);
  const payPage = customerSide.page;
  try {
    await test.step('the link opens /pay without the token, with a strict CSP', async () => {
      const { response } = customerSide;
      expect(response.status()).toBe(200);
      expect(new URL(response.url()).pathname).toBe('/pay');
      expect(payPage.url()).not.toContain(link.split('/pay/')[1]);
      const csp = response.headers()['content-security-policy'];
      expect(csp, 'Content-Security-Policy of /pay').toBeDefined();
      expect(csp).toContain("'nonce-");
      expect(csp).toContain("object-src 'none'");
      // Rendered on the server with Save card disabled: it waits for the Payment Element.
      const html = await response.text();
      const saveButtons = [...html.matchAll(/<button([^>]*)>([\s\S]*?)<\/button>/g)].filter((m) =>
        m[2].includes('Save card'),
      );
      expect(saveButtons).toHaveLength(1);
      expect(saveButtons[0][1]).toMatch(/\bdisabled\b/);
      await expectCardForm(payPage, merchant);
    });

    await test.step('the merchant sees the link opened', async () => {
      await expect(requestItem).toHaveAttribute('data-state', 'opened');
      await expect(requestItem).toContainText('Opened — the link was visited');
    });

    await test.step('4242 4242 4242 4242 → Save card → saved', async () => {
      await fillPaymentElement(payPage, '4242 4242 4242 4242');
      await saveCardButton(payPage).click();
      await expectCardSaved(payPage, '4242');
    });

    await test.step('the untouched merchant page shows the card and the completed request', async () => {
      const option = paymentOption(page, '4242');
      await expect(option).toHaveCount(1);
      await expect(option.getByText('Default', { exact: true })).toBeVisible();
      await expect(page.getByText('No card on file')).toHaveCount(0);
      await expect(requestItem).toHaveAttribute('data-state', 'completed');
      await expect(requestItem).toContainText('Completed — card saved');
      await expect(notificationItem(page, 'Card saved notice', merchant.email)).toHaveCount(1);
      await expect(actionsPanel(page).getByRole('button', { name: 'Send Email', exact: true })).toBeVisible();
      await expectSameDocument(page);
    });

    await test.step('the merchant is emailed that the card was added', async () => {
      const notice = await waitForEmail(request, merchant.email, 'Jane Doe added a card');
      expect(notice.text).toContain(`Visa •••• 4242 — expires ${testCardExpiry().shown}`);
      expect(notice.text).toContain(profileUrl);
    });

    await test.step('the same link again: already used, 410', async () => {
      const again = await payPage.goto(link);
      expect(again?.status()).toBe(410);
      expect(new URL(payPage.url()).pathname).toBe('/pay');
      await waitForApp(payPage);
      await expect(heading(payPage, 'This link has already been used', 1)).toBeVisible();
      await expect(saveCardButton(payPage)).toHaveCount(0);
    });
  } finally {
    await customerSide.context.close();
  }
});

test('4000 0025 0000 3155: 3-D Secure, Complete saves the card', async ({ page, browser, request }) => {
  test.setTimeout(60_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'cr-3ds-ok');
  const link = await sendAndReadLink(page, request, merchant, customer);
  const { context, page: payPage } = await openLinkAsCustomer(browser, link);
  try {
    await expectCardForm(payPage, merchant);
    await fillPaymentElement(payPage, '4000 0025 0000 3155');
    await saveCardButton(payPage).click();
    const challenge = payPage.locator(challengeFrame);
    await expect(challenge).toHaveCount(1);
    expect(new URL((await challenge.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
    await answerChallenge(payPage, 'Complete');
    await expectCardSaved(payPage, '3155');
    await expect(challenge).toHaveCount(0);

    await expect(paymentOption(page, '3155')).toHaveCount(1);
    await expect(notificationItem(page, 'Card request', customer.email)).toHaveAttribute(
      'data-state',
      'completed',
    );
    await expectSameDocument(page);
  } finally {
    await context.close();
  }
});

test('4000 0025 0000 3155 with Fail: an error, then 4242 on the same page is saved', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(60_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'cr-3ds-fail');
  const link = await sendAndReadLink(page, request, merchant, customer);
  const { context, page: payPage } = await openLinkAsCustomer(browser, link);
  try {
    await expectCardForm(payPage, merchant);
    await fillPaymentElement(payPage, '4000 0025 0000 3155');
    await saveCardButton(payPage).click();
    await expect(payPage.locator(challengeFrame)).toHaveCount(1);
    await answerChallenge(payPage, 'Fail');

    await expect(cardAlert(payPage)).toContainText(authFailure);
    await expect(payPage.locator(challengeFrame)).toHaveCount(0);
    await expect(saveCardButton(payPage)).toBeEnabled();
    await expect(heading(payPage, 'Your card has been saved', 2)).toHaveCount(0);
    await expect(page.getByText('No card on file')).toBeVisible();
    await expect(notificationItem(page, 'Card request', customer.email)).toHaveAttribute(
      'data-state',
      'opened',
    );

    await fillPaymentElement(payPage, '4242 4242 4242 4242');
    await saveCardButton(payPage).click();
    await expectCardSaved(payPage, '4242');
    await expect(cardAlert(payPage)).toHaveCount(0);

    await expect(paymentOption(page, '4242')).toHaveCount(1);
    await expect(page.getByRole('region', { name: 'Payment Options' }).getByRole('listitem')).toHaveCount(1);
    await expect(notificationItem(page, 'Card request', customer.email)).toHaveAttribute(
      'data-state',
      'completed',
    );
    await expectSameDocument(page);
  } finally {
    await context.close();
  }
});

test('4000 0000 0000 0002: "Your card was declined." and Save card works again', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(60_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'cr-declined');
  const link = await sendAndReadLink(page, request, merchant, customer);
  const { context, page: payPage } = await openLinkAsCustomer(browser, link);
  try {
    await expectCardForm(payPage, merchant);
    await fillPaymentElement(payPage, '4000 0000 0000 0002');
    await saveCardButton(payPage).click();
    await expect(cardAlert(payPage)).toHaveText('Your card was declined.');
    await expect(saveCardButton(payPage)).toBeEnabled();
    await expect(heading(payPage, 'Your card has been saved', 2)).toHaveCount(0);

    await expect(notificationItem(page, 'Card request', customer.email)).toHaveAttribute(
      'data-state',
      'opened',
    );
    await expect(page.getByText('No card on file')).toBeVisible();
    await expectSameDocument(page);
  } finally {
    await context.close();
  }
});

test('Resend revokes the earlier link; the new one opens the card form', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(60_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'cr-resend');
  const first = await sendAndReadLink(page, request, merchant, customer);

  await test.step('Resend: the dialog warns, a second email goes out', async () => {
    const actions = actionsPanel(page);
    await expect(actions).toContainText('Resending revokes that link.');
    await actions.getByRole('button', { name: 'Resend', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Resend card request' });
    await expect(dialog).toContainText('The link sent earlier stops working.');
    // Keyboard: the note has focus, Tab stays inside the dialog, Escape closes it and returns
    // focus to the button that opened it.
    const note = dialog.getByLabel('Personal note (optional)', { exact: true });
    await expect(note).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Send', exact: true })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(dialog.getByRole('button', { name: 'Cancel', exact: true })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(note).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(actions.getByRole('button', { name: 'Resend', exact: true })).toBeFocused();
    await actions.getByRole('button', { name: 'Resend', exact: true }).click();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await sendCardRequest(page, customer, { resend: true });
  });

  const emails = await waitForEmails(request, customer.email, requestSubject(merchant), 2);
  expect(emails).toHaveLength(2);
  const links = emails.map((email) => cardLinkIn(email.text));
  expect(links[0]).toBe(first);
  const second = links[1];
  expect(second).not.toBe(first);

  await test.step('Notifications: the new request sent, the first revoked', async () => {
    const items = notificationItems(page);
    await expect(items).toHaveCount(2);
    await expect(items.nth(0)).toHaveAttribute('data-state', 'sent');
    await expect(items.nth(1)).toHaveAttribute('data-state', 'revoked');
    await expect(items.nth(1)).toContainText('Revoked — replaced by a newer link');
    await expectSameDocument(page);
  });

  const { context, page: payPage, response } = await openLinkAsCustomer(browser, first);
  try {
    await test.step('the first link: revoked, 410', async () => {
      expect(response.status()).toBe(410);
      expect(new URL(payPage.url()).pathname).toBe('/pay');
      await expect(heading(payPage, 'This link has been revoked', 1)).toBeVisible();
      await expect(saveCardButton(payPage)).toHaveCount(0);
    });

    await test.step('the second link: the card form', async () => {
      const secondResponse = await payPage.goto(second);
      expect(secondResponse?.status()).toBe(200);
      await waitForApp(payPage);
      await expectCardForm(payPage, merchant);
      await expect(notificationItems(page).nth(0)).toHaveAttribute('data-state', 'opened');
      await expect(notificationItems(page).nth(1)).toHaveAttribute('data-state', 'revoked');
    });
  } finally {
    await context.close();
  }
});

test('without Stripe connected, Send Email is disabled and says why', async ({ page }) => {
  const merchant = newMerchant('cr-no-stripe');
  const customer = janeDoe('cr-no-stripe');
  await signUp(page, merchant);
  await createCustomer(page, customer);
  await expectProfile(page, customer);

  const actions = actionsPanel(page);
  const send = actions.getByRole('button', { name: 'Send Email', exact: true });
  await expect(send).toBeDisabled();
  const reason = 'Connect MioPay (Stripe) in Settings to send card requests.';
  await expect(actions.getByText(reason, { exact: true })).toBeVisible();
  await expect(send).toHaveAccessibleDescription(reason);
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('the card page on a 360 px phone: usable, keyboard-operable, and injected script is blocked by its CSP', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(60_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'cr-phone');
  const link = await sendAndReadLink(page, request, merchant, customer);
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  try {
    const payPage = await context.newPage();
    await payPage.goto(link);
    await waitForApp(payPage);
    await expectCardForm(payPage, merchant);
    // Nothing wider than the phone: no sideways scrolling.
    const overflow = await payPage.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await saveCardButton(payPage).scrollIntoViewIfNeeded();
    await expect(saveCardButton(payPage)).toBeInViewport();

    // A script smuggled into the page (as stored XSS would be) does not run: the CSP has no
    // 'unsafe-inline' and the script has no nonce. The browser reports the violation as an event
    // and on the console; either is awaited (bounded), never a bare promise that could hang.
    const refusals: string[] = [];
    payPage.on('console', (message) => {
      if (/Content Security Policy/.test(message.text())) refusals.push(message.text());
    });
    const ran = await payPage.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
      // An inline script that is allowed runs during appendChild: the answer is known now.
      return (window as unknown as { __injected?: boolean }).__injected === true;
    });
    expect(ran, 'the injected script ran').toBe(false);
    await expect
      .poll(async () => {
        const events = await payPage.evaluate(
          () => (window as unknown as { __cspViolations: string[] }).__cspViolations,
        );
        return [...events, ...refusals].some((v) => /script-src/.test(v));
      }, { message: 'the browser reported a script-src violation' })
      .toBe(true);

    // Keyboard only: fill the card, then Tab to Save card and press Enter.
    await fillPaymentElement(payPage, '4242 4242 4242 4242');
    await saveCardButton(payPage).focus();
    await payPage.keyboard.press('Enter');
    await expectCardSaved(payPage, '4242');
  } finally {
    await context.close();
  }
});
