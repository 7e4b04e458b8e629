import { cardLine } from './data';
import { expect, test } from './fixtures';
import { cardRequestSubject, linkIn } from './pages/mailbox';
import { stripeEmulatorURL } from '../ports';

// Send Email on a customer's profile → the email in maildev → the customer's /pay page in a
// browser of their own → the card on the merchant's profile, which is never reloaded: it follows
// along through the profile's live updates.

test.describe.configure({ mode: 'parallel' });

// Jane Doe's profile, checked to show what every new profile shows.
test.use({
  customerDetails: { firstName: 'Jane', lastName: 'Doe', notes: 'Booked the harbour tour by phone.' },
  checkNewProfile: true,
});

const authFailure = 'unable to authenticate';

test('the full journey: Send Email, the customer saves a card, the profile follows live', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const { customer } = profile;
  const note = `See you on the sunset tour! ${Date.now()}`;
  const requestItem = profile.notification('Card request', customer.email);

  await test.step('Send Email with a note: Notifications shows it sent, without a reload', async () => {
    await profile.sendCardRequest({ note });
    await expect(profile.page.getByText('No emails sent yet.')).toHaveCount(0);
    await expect(requestItem).toHaveCount(1);
    await expect(requestItem).toHaveAttribute('data-state', 'sent');
    await expect(requestItem).toContainText('Sent — accepted by the mail server');
    await expect(profile.action('Resend')).toBeVisible();
    await profile.expectSameDocument();
  });

  let link = '';
  await test.step('the email reaches the customer with the link and the note', async () => {
    const email = await mailbox.waitForEmail(customer.email, cardRequestSubject(merchant));
    expect(email.text).toContain('No account or login needed');
    expect(email.text).toContain(note);
    link = linkIn(email);
    expect(email.html).toContain(link);
  });

  const pay = await customerBrowser.open(link);
  await test.step('the link opens /pay without the token, with a strict CSP', async () => {
    const { response } = pay;
    expect(response.status()).toBe(200);
    expect(new URL(response.url()).pathname).toBe('/pay');
    expect(pay.page.url()).not.toContain(link.split('/pay/')[1]);
    // allHeaders(): headers() is what Chromium reported first, which can come without the
    // security headers; allHeaders() waits for the full set.
    const csp = (await response.allHeaders())['content-security-policy'];
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
    await pay.expectCardForm(merchant, customer);
  });

  await test.step("the card page loads its own small bundle, none of the merchant app's", async () => {
    // The form is live (expectCardForm), so the island has hydrated from these two files alone.
    expect([...new Set(pay.bundleRequests)].sort()).toEqual(['/pkg/pay.js', '/pkg/pay.wasm']);
  });

  await test.step('the merchant sees the link opened', async () => {
    await expect(requestItem).toHaveAttribute('data-state', 'opened');
    await expect(requestItem).toContainText('Opened — the link was visited');
  });

  await test.step('4242 4242 4242 4242 → Save card → saved', async () => {
    await pay.saveCard('4242 4242 4242 4242');
  });

  await test.step('the untouched merchant page shows the card and the completed request', async () => {
    const option = profile.paymentOption('4242');
    await expect(option).toHaveCount(1);
    await expect(option.getByText('Default', { exact: true })).toBeVisible();
    await expect(profile.noCardOnFile).toHaveCount(0);
    await expect(requestItem).toHaveAttribute('data-state', 'completed');
    await expect(requestItem).toContainText('Completed — card saved');
    await expect(profile.notification('Card saved notice', merchant.email)).toHaveCount(1);
    await expect(profile.action('Send Email')).toBeVisible();
    await profile.expectSameDocument();
  });

  await test.step('the merchant is emailed that the card was added', async () => {
    const notice = await mailbox.waitForEmail(merchant.email, 'Jane Doe added a card');
    expect(notice.text).toContain(cardLine('4242'));
    expect(notice.text).toContain(profile.url);
  });

  await test.step('the same link again: already used, 410', async () => {
    await pay.goto(link, { status: 410 });
    expect(new URL(pay.page.url()).pathname).toBe('/pay');
    await expect(pay.heading('This link has already been used', 1)).toBeVisible();
    await expect(pay.saveCardButton).toHaveCount(0);
  });
});

test('4000 0025 0000 3155: 3-D Secure, Complete saves the card', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);
  const pay = await customerBrowser.open(link);
  await pay.expectCardForm(merchant, profile.customer);
  await pay.paymentElement.fill('4000 0025 0000 3155');
  await pay.saveCardButton.click();
  const challenge = pay.challenge.iframe;
  await expect(challenge).toHaveCount(1);
  expect(new URL((await challenge.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
  await pay.challenge.answer('Complete');
  await pay.expectCardSaved('3155');
  await expect(challenge).toHaveCount(0);

  await expect(profile.paymentOption('3155')).toHaveCount(1);
  await expect(profile.notification('Card request', profile.customer.email)).toHaveAttribute(
    'data-state',
    'completed',
  );
  await profile.expectSameDocument();
});

test('4000 0025 0000 3155 with Fail: an error, then 4242 on the same page is saved', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const requestItem = profile.notification('Card request', profile.customer.email);
  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);
  const pay = await customerBrowser.open(link);
  await pay.expectCardForm(merchant, profile.customer);
  await pay.paymentElement.fill('4000 0025 0000 3155');
  await pay.saveCardButton.click();
  await expect(pay.challenge.iframe).toHaveCount(1);
  await pay.challenge.answer('Fail');

  await expect(pay.alert).toContainText(authFailure);
  await expect(pay.challenge.iframe).toHaveCount(0);
  await expect(pay.saveCardButton).toBeEnabled();
  await expect(pay.heading('Your card has been saved', 2)).toHaveCount(0);
  await expect(profile.noCardOnFile).toBeVisible();
  await expect(requestItem).toHaveAttribute('data-state', 'opened');

  await pay.paymentElement.fill('4242 4242 4242 4242');
  await pay.saveCardButton.click();
  await pay.expectCardSaved('4242');
  await expect(pay.alert).toHaveCount(0);

  await expect(profile.paymentOption('4242')).toHaveCount(1);
  await expect(profile.paymentOptions).toHaveCount(1);
  await expect(requestItem).toHaveAttribute('data-state', 'completed');
  await profile.expectSameDocument();
});

test('4000 0000 0000 0002: "Your card was declined." and Save card works again', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);
  const pay = await customerBrowser.open(link);
  await pay.expectCardForm(merchant, profile.customer);
  await pay.paymentElement.fill('4000 0000 0000 0002');
  await pay.saveCardButton.click();
  await expect(pay.alert).toHaveText('Your card was declined.');
  await expect(pay.saveCardButton).toBeEnabled();
  await expect(pay.heading('Your card has been saved', 2)).toHaveCount(0);

  await expect(profile.notification('Card request', profile.customer.email)).toHaveAttribute(
    'data-state',
    'opened',
  );
  await expect(profile.noCardOnFile).toBeVisible();
  await profile.expectSameDocument();
});

test('Resend revokes the earlier link; the new one opens the card form', async ({
  page,
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const { customer } = profile;
  const first = await profile.sendCardRequestAndReadLink(mailbox, merchant);

  await test.step('Resend: the dialog warns, a second email goes out', async () => {
    const resend = profile.action('Resend');
    await expect(profile.actions).toContainText('Resending revokes that link.');
    await resend.click();
    const dialog = profile.cardRequestDialog({ resend: true });
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
    await expect(resend).toBeFocused();
    await resend.click();
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await profile.sendCardRequest({ resend: true });
  });

  const emails = await mailbox.waitForEmails(customer.email, cardRequestSubject(merchant), 2);
  expect(emails).toHaveLength(2);
  const links = emails.map(linkIn);
  expect(links[0]).toBe(first);
  const second = links[1];
  expect(second).not.toBe(first);

  await test.step('Notifications: the new request sent, the first revoked', async () => {
    const items = profile.notifications;
    await expect(items).toHaveCount(2);
    await expect(items.nth(0)).toHaveAttribute('data-state', 'sent');
    await expect(items.nth(1)).toHaveAttribute('data-state', 'revoked');
    await expect(items.nth(1)).toContainText('Revoked — replaced by a newer link');
    await profile.expectSameDocument();
  });

  const pay = await customerBrowser.open(first, { status: 410 });
  await test.step('the first link: revoked, 410', async () => {
    expect(pay.response.status()).toBe(410);
    expect(new URL(pay.page.url()).pathname).toBe('/pay');
    await expect(pay.heading('This link has been revoked', 1)).toBeVisible();
    await expect(pay.saveCardButton).toHaveCount(0);
  });

  await test.step('the second link: the card form', async () => {
    await pay.goto(second);
    await pay.expectCardForm(merchant, customer);
    await expect(profile.notifications.nth(0)).toHaveAttribute('data-state', 'opened');
    await expect(profile.notifications.nth(1)).toHaveAttribute('data-state', 'revoked');
  });
});

test.describe(() => {
  test.use({ connectStripe: false });

  test('without Stripe connected, Send Email is disabled and says why', async ({ page, profile }) => {
    const send = profile.action('Send Email');
    await expect(send).toBeDisabled();
    const reason = 'Connect MioPay (Stripe) in Settings to send card requests.';
    await expect(profile.actions.getByText(reason, { exact: true })).toBeVisible();
    await expect(send).toHaveAccessibleDescription(reason);
    await expect(page.getByRole('dialog')).toHaveCount(0);
  });
});

test('the card page on a 360 px phone: usable, keyboard-operable, and injected script is blocked by its CSP', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(60_000);
  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);
  const pay = await customerBrowser.open(link, { viewport: { width: 360, height: 740 } });
  const payPage = pay.page;
  await pay.expectCardForm(merchant, profile.customer);
  // Nothing wider than the phone: no sideways scrolling.
  const overflow = await payPage.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
  await pay.saveCardButton.scrollIntoViewIfNeeded();
  await expect(pay.saveCardButton).toBeInViewport();

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
  await pay.paymentElement.fill('4242 4242 4242 4242');
  await pay.saveCardButton.focus();
  await payPage.keyboard.press('Enter');
  await pay.expectCardSaved('4242');
});
