import type { Page } from '@playwright/test';
import {
  actionsPanel,
  answerChallenge,
  cardLinkIn,
  challengeFrame,
  expect,
  heading,
  test,
  testCardExpiry,
  waitForEmails,
} from './helpers';
import {
  addCardAsMerchant,
  bookingMoney,
  bookingStatus,
  chargeItem,
  chargeItems,
  createBooking,
  expectSameDocument,
  merchantWithCustomer,
  openLinkAsCustomer,
  paymentOption,
  saveCardAsCustomer,
  sendCardRequestAndReadLink,
  waitForEmailMatching,
} from './charge-helpers';

// Charging the cards on file from the customer's profile: a booking's Charge balance (in part,
// then the rest), a partial refund that puts the refunded amount back on the balance, and a
// card whose bank wants the customer to confirm: the email link, the confirm page with its 3-D
// Secure step, and the merchant's profile following along without a reload.

test.describe.configure({ mode: 'parallel' });

function chargeButton(page: Page) {
  return actionsPanel(page).getByRole('button', { name: 'Charge', exact: true });
}

test('Charge balance in part then in full, and a partial refund puts it back on the balance', async ({
  page,
}) => {
  test.setTimeout(120_000);
  const { merchant } = await merchantWithCustomer(page, 'charge-booking');
  const title = 'Sunset kayak tour';

  await test.step('no card yet: Charge is disabled and says why', async () => {
    await expect(chargeButton(page)).toBeDisabled();
    await expect(actionsPanel(page)).toContainText('Add a card first');
  });

  await test.step('Create Payment Option with 4242 4242 4242 4242: Charge is offered', async () => {
    await addCardAsMerchant(page, '4242 4242 4242 4242', '4242');
    await expect(chargeButton(page)).toBeEnabled();
  });

  const booking = await test.step('a booking of $120.00, nothing paid', async () => {
    const item = await createBooking(page, {
      title,
      startsAt: '2030-07-01T18:00',
      participants: '2',
      total: '120.00',
    });
    await expect(bookingMoney(item, 'Balance')).toHaveText('$120.00');
    return item;
  });

  const dialog = page.getByRole('dialog', { name: 'Charge balance' });
  const amount = dialog.getByLabel('Amount', { exact: true });

  await test.step('Charge balance opens with the balance, the title and the card', async () => {
    await booking.getByRole('button', { name: 'Charge balance', exact: true }).click();
    await expect(dialog).toBeVisible();
    await expect(amount).toBeFocused();
    await expect(amount).toHaveValue('120.00');
    await expect(dialog.getByLabel('Description', { exact: true })).toHaveValue(title);
    await expect(dialog.getByLabel('Card', { exact: true }).locator('option:checked')).toHaveText(
      /^Visa •••• 4242 — expires /,
    );
    await expect(dialog.getByLabel('Email a receipt to the customer')).not.toBeChecked();
  });

  await test.step('more than the balance is refused at the Amount field', async () => {
    await amount.fill('500');
    await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect(amount).toHaveAttribute('aria-invalid', 'true');
    await expect(chargeItems(page)).toHaveCount(0);
  });

  await test.step('$50.00 of it: charged, the booking owes $70.00', async () => {
    await amount.fill('50');
    await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect(dialog.getByRole('status')).toHaveText('Charged $50.00 to Visa •••• 4242');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(bookingMoney(booking, 'Paid')).toHaveText('$50.00');
    await expect(bookingMoney(booking, 'Balance')).toHaveText('$70.00');
    await expect(bookingStatus(booking)).toHaveText('Balance due');
    const charge = chargeItem(page, '$50.00');
    await expect(charge).toHaveCount(1);
    await expect(charge).toContainText('Succeeded');
    await expect(charge).toContainText(title);
    await expect(charge).toContainText(`Visa •••• 4242`);
    await expect(charge).toContainText(`by ${merchant.name}`);
  });

  await test.step('Charge balance again: the rest, as a second charge', async () => {
    await booking.getByRole('button', { name: 'Charge balance', exact: true }).click();
    await expect(amount).toHaveValue('70.00');
    await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect(dialog.getByRole('status')).toHaveText('Charged $70.00 to Visa •••• 4242');
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(bookingMoney(booking, 'Balance')).toHaveText('$0.00');
    await expect(bookingStatus(booking)).toHaveText('Paid');
    await expect(booking.getByRole('button', { name: 'Charge balance', exact: true })).toHaveCount(0);
    await expect(chargeItems(page)).toHaveCount(2);
    await expect(chargeItem(page, '$70.00')).toContainText('Succeeded');
  });

  await test.step('Refund $20.00 of the $70.00 charge, with a reason', async () => {
    const charge = chargeItem(page, '$70.00');
    await charge.getByRole('button', { name: 'Refund', exact: true }).click();
    const refund = page.getByRole('dialog', { name: 'Refund' });
    await expect(refund).toBeVisible();
    await expect(refund).toContainText('Up to $70.00 can be refunded.');
    const refundAmount = refund.getByLabel('Amount', { exact: true });
    await expect(refundAmount).toHaveValue('70.00');
    await refundAmount.fill('20');
    // The reason is required: the server says so at the field, and nothing is refunded.
    await refund.getByRole('button', { name: 'Refund', exact: true }).click();
    const reason = refund.getByLabel('Reason', { exact: true });
    await expect(reason).toHaveAttribute('aria-invalid', 'true');
    await reason.fill('Rain delay, one participant stayed ashore');
    await refund.getByRole('button', { name: 'Refund', exact: true }).click();
    await expect(refund.getByRole('status')).toHaveText('Refunded $20.00 to Visa •••• 4242');
    await refund.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(refund).toHaveCount(0);
  });

  await test.step('the refund shows on the charge and back on the booking balance', async () => {
    const charge = chargeItem(page, '$70.00');
    await expect(charge).toContainText('Refunded $20.00');
    const refunds = charge.getByRole('list', { name: 'Refunds' }).getByRole('listitem');
    await expect(refunds).toHaveCount(1);
    await expect(refunds).toContainText('$20.00');
    await expect(refunds).toContainText('Rain delay, one participant stayed ashore');
    await expect(refunds).toContainText(`by ${merchant.name}`);
    await expect(bookingMoney(booking, 'Balance')).toHaveText('$20.00');
    await expect(bookingStatus(booking)).toHaveText('Balance due');
    // $50.00 more can still be refunded.
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toBeVisible();
    await expectSameDocument(page);
  });
});

test('Try again and double clicks reuse the submission\'s key: one charge, never two', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await merchantWithCustomer(page, 'charge-retry');
  await addCardAsMerchant(page, '4242 4242 4242 4242', '4242');

  // The browser's side of the wire: the first answer says Stripe could not be reached, the
  // second reaches the server (which charges) but is lost on the way back, the rest pass.
  const keys: string[] = [];
  let calls = 0;
  await page.route('**/api/charge_payment_option', async (route) => {
    keys.push(new URLSearchParams(route.request().postData() ?? '').get('request_key') ?? '');
    calls += 1;
    if (calls === 1) {
      await route.fulfill({
        status: 502,
        contentType: 'application/json',
        body: JSON.stringify({ code: 'STRIPE_UNAVAILABLE' }),
      });
    } else if (calls === 2) {
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });

  const dialog = page.getByRole('dialog', { name: 'Charge', exact: true });
  await chargeButton(page).click();
  await dialog.getByLabel('Amount', { exact: true }).fill('30');
  await dialog.getByLabel('Description', { exact: true }).fill('Kayak rental');
  await dialog.getByRole('button', { name: 'Charge', exact: true }).click();

  const alert = dialog.getByRole('alert');
  await expect(alert).toContainText('Stripe could not be reached. Please try again in a moment.');
  await alert.getByRole('button', { name: 'Try again', exact: true }).click();
  await expect(alert).toContainText('We could not reach the server.');
  await alert.getByRole('button', { name: 'Try again', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('Charged $30.00 to Visa •••• 4242');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(new Set(keys).size, 'every retry carries the first key').toBe(1);
  const first = chargeItem(page, 'Kayak rental');
  await expect(first).toHaveCount(1);
  await expect(first).toContainText('$30.00');
  await expect(first).toContainText('Succeeded');

  await test.step('a double click on Charge: one charge, with a new key', async () => {
    await chargeButton(page).click();
    await dialog.getByLabel('Amount', { exact: true }).fill('15');
    await dialog.getByLabel('Description', { exact: true }).fill('Paddle rental');
    await dialog.getByRole('button', { name: 'Charge', exact: true }).dblclick();
    await expect(dialog.getByRole('status')).toHaveText('Charged $15.00 to Visa •••• 4242');
    const second = keys.slice(3);
    expect(second.length).toBeGreaterThanOrEqual(1);
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(keys[0]);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(chargeItems(page)).toHaveCount(2);
    await expect(chargeItem(page, 'Paddle rental')).toHaveCount(1);
  });
});

test('a declined card: the reason in the dialog and in Payments, then another card is charged', async ({
  page,
}) => {
  test.setTimeout(90_000);
  await merchantWithCustomer(page, 'charge-declined');
  // 4000 0000 0000 0341 is saved fine; every charge on it is declined.
  await addCardAsMerchant(page, '4000 0000 0000 0341', '0341');
  await addCardAsMerchant(page, '4242 4242 4242 4242', '4242');

  const dialog = page.getByRole('dialog', { name: 'Charge', exact: true });
  const card = dialog.getByLabel('Card', { exact: true });
  await chargeButton(page).click();
  await dialog.getByLabel('Amount', { exact: true }).fill('20');
  await dialog.getByLabel('Description', { exact: true }).fill('Snorkel tour');
  await card.selectOption({ label: `Visa •••• 0341 — expires ${testCardExpiry().shown} (default)` });
  await dialog.getByRole('button', { name: 'Charge', exact: true }).click();

  const alert = dialog.getByRole('alert');
  await expect(alert).toHaveText(/^Declined: \S/);
  const reason = (await alert.textContent()) ?? '';
  const declined = chargeItem(page, 'Snorkel tour');
  await expect(declined).toHaveCount(1);
  await expect(declined).toContainText(reason);
  await expect(declined.getByRole('button', { name: 'Refund', exact: true })).toHaveCount(0);

  // The form stays, as typed: another card, and Charge is a new attempt.
  await expect(dialog.getByLabel('Amount', { exact: true })).toHaveValue('20');
  await card.selectOption({ label: `Visa •••• 4242 — expires ${testCardExpiry().shown}` });
  await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('Charged $20.00 to Visa •••• 4242');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();

  await expect(chargeItems(page)).toHaveCount(2);
  await expect(chargeItems(page).filter({ hasText: 'Succeeded' })).toContainText('Visa •••• 4242');
  await expect(chargeItems(page).filter({ hasText: reason })).toContainText('Visa •••• 0341');
});

test('4000 0027 6000 3184: the customer confirms the payment from the resent link', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'charge-3ds');
  const description = 'Harbour cruise deposit';

  await test.step('the customer saves the card from the card link (with 3-D Secure)', async () => {
    const link = await sendCardRequestAndReadLink(page, request, merchant, customer);
    await saveCardAsCustomer(browser, link, '4000 0027 6000 3184', '3184', { challenge: true });
    await expect(paymentOption(page, '3184')).toHaveCount(1);
  });

  const dialog = page.getByRole('dialog', { name: 'Charge', exact: true });

  await test.step('Charge opens empty with the card; Escape closes it and focus returns', async () => {
    await chargeButton(page).click();
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Amount', { exact: true })).toHaveValue('');
    await expect(dialog.getByLabel('Description', { exact: true })).toHaveValue('');
    await expect(dialog.getByLabel('Card', { exact: true }).locator('option:checked')).toHaveText(
      /^Visa •••• 3184 — expires /,
    );
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(chargeButton(page)).toBeFocused();
  });

  await test.step('Charge $45.00: the bank wants the customer, who is emailed a link', async () => {
    await chargeButton(page).click();
    await dialog.getByLabel('Amount', { exact: true }).fill('45.00');
    await dialog.getByLabel('Description', { exact: true }).fill(description);
    await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
    await expect(dialog.getByRole('status')).toHaveText(
      'Waiting for the customer to confirm — we emailed them a link',
    );
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    const charge = chargeItem(page, description);
    await expect(charge).toContainText('Waiting for the customer to confirm');
    await expect(charge).toContainText('$45.00');
    // Nothing was paid, so nothing can be refunded.
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toHaveCount(0);
  });

  const subject = `Please confirm your payment of $45.00 to ${merchant.business}`;
  const [firstEmail] = await waitForEmails(request, customer.email, subject, 1);
  const firstLink = cardLinkIn(firstEmail.text);

  await test.step('Resend link: a second email with a new link', async () => {
    const charge = chargeItem(page, description);
    await charge.getByRole('button', { name: 'Resend link', exact: true }).click();
    await expect(charge.getByRole('status')).toHaveText(`Sent a new link to ${customer.email}`);
    await expect(charge).toContainText('Waiting for the customer to confirm');
    await expectSameDocument(page);
  });
  const emails = await waitForEmails(request, customer.email, subject, 2);
  const link = cardLinkIn(emails[1].text);
  expect(link).not.toBe(firstLink);

  await test.step('the first link now says a newer one was sent', async () => {
    const context = await browser.newContext();
    try {
      const oldPage = await context.newPage();
      const response = await oldPage.goto(firstLink);
      expect(response?.status()).toBe(410);
      await expect(heading(oldPage, 'This link has been revoked', 1)).toBeVisible();
    } finally {
      await context.close();
    }
  });

  const { context, page: payPage } = await openLinkAsCustomer(browser, link);
  try {
    await test.step('the confirm page names the payment; no card form', async () => {
      await expect(heading(payPage, 'Confirm your payment', 1)).toBeVisible();
      await expect(payPage.getByText('Hi Jamie,', { exact: true })).toBeVisible();
      await expect(
        payPage.getByText(
          `${merchant.business} asks you to confirm a payment of $45.00 for ${description} with Visa •••• 3184.`,
          { exact: true },
        ),
      ).toBeVisible();
      await expect(payPage.locator('iframe[title="Secure payment input frame"]')).toHaveCount(0);
    });

    await test.step('Confirm payment → the bank\'s challenge → Complete → confirmed', async () => {
      const confirm = payPage.getByRole('button', { name: 'Confirm payment', exact: true });
      await expect(confirm).toBeEnabled();
      await confirm.click();
      await expect(payPage.locator(challengeFrame)).toHaveCount(1);
      await answerChallenge(payPage, 'Complete');
      await expect(heading(payPage, 'Payment confirmed', 2)).toBeVisible();
      await expect(payPage.getByText('$45.00 paid with Visa •••• 3184', { exact: true })).toBeVisible();
      await expect(payPage.locator(challengeFrame)).toHaveCount(0);
    });
  } finally {
    await context.close();
  }

  await test.step('the merchant\'s untouched profile shows the charge succeeded', async () => {
    const charge = chargeItem(page, description);
    await expect(charge).toContainText('Succeeded');
    await expect(charge).not.toContainText('Waiting for the customer to confirm');
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toBeVisible();
    await expectSameDocument(page);
  });

  await test.step('the merchant is emailed that the customer confirmed', async () => {
    const notice = await waitForEmailMatching(request, merchant.email, /confirmed the payment/);
    expect(notice.subject).toContain('$45.00');
  });
});

test('the confirm page: a failed challenge says so and Confirm payment works again', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'charge-3ds-fail');
  const link = await sendCardRequestAndReadLink(page, request, merchant, customer);
  await saveCardAsCustomer(browser, link, '4000 0027 6000 3184', '3184', { challenge: true });
  await expect(paymentOption(page, '3184')).toHaveCount(1);

  const dialog = page.getByRole('dialog', { name: 'Charge', exact: true });
  await chargeButton(page).click();
  await dialog.getByLabel('Amount', { exact: true }).fill('12.50');
  await dialog.getByLabel('Description', { exact: true }).fill('Life jacket rental');
  await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
  await expect(dialog.getByRole('status')).toContainText('Waiting for the customer to confirm');

  const email = await waitForEmailMatching(request, customer.email, /confirm/i);
  const confirmLink = email.text.match(/https?:\/\/\S+\/pay\/[A-Za-z0-9_-]+/)?.[0];
  expect(confirmLink, `a confirm link in:\n${email.text}`).toBeDefined();
  const { context, page: payPage } = await openLinkAsCustomer(browser, confirmLink!);
  try {
    const confirm = payPage.getByRole('button', { name: 'Confirm payment', exact: true });
    await confirm.click();
    await expect(payPage.locator(challengeFrame)).toHaveCount(1);
    await answerChallenge(payPage, 'Fail');
    await expect(payPage.getByRole('alert').filter({ hasText: /\S/ })).toContainText(
      'unable to authenticate',
    );
    await expect(confirm).toBeEnabled();
    await expect(heading(payPage, 'Payment confirmed', 2)).toHaveCount(0);

    await confirm.click();
    await expect(payPage.locator(challengeFrame)).toHaveCount(1);
    await answerChallenge(payPage, 'Complete');
    await expect(heading(payPage, 'Payment confirmed', 2)).toBeVisible();
    await expect(payPage.getByText('$12.50 paid with Visa •••• 3184', { exact: true })).toBeVisible();
  } finally {
    await context.close();
  }
  await expect(chargeItem(page, 'Life jacket rental')).toContainText('Succeeded');
});

test('the confirm page: a customer who left during the bank\'s step can come back to it', async ({
  page,
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const { merchant, customer } = await merchantWithCustomer(page, 'charge-3ds-return');
  const link = await sendCardRequestAndReadLink(page, request, merchant, customer);
  await saveCardAsCustomer(browser, link, '4000 0027 6000 3184', '3184', { challenge: true });
  await expect(paymentOption(page, '3184')).toHaveCount(1);

  const dialog = page.getByRole('dialog', { name: 'Charge', exact: true });
  await chargeButton(page).click();
  await dialog.getByLabel('Amount', { exact: true }).fill('8.00');
  await dialog.getByLabel('Description', { exact: true }).fill('Dry bag');
  await dialog.getByRole('button', { name: 'Charge', exact: true }).click();
  await expect(dialog.getByRole('status')).toContainText('Waiting for the customer to confirm');

  const email = await waitForEmailMatching(request, customer.email, /confirm/i);
  const confirmLink = email.text.match(/https?:\/\/\S+\/pay\/[A-Za-z0-9_-]+/)?.[0];
  expect(confirmLink, `a confirm link in:\n${email.text}`).toBeDefined();

  // The first visit opens the bank's step and leaves without answering it: the payment now
  // waits at Stripe for that step.
  const first = await openLinkAsCustomer(browser, confirmLink!);
  await first.page.getByRole('button', { name: 'Confirm payment', exact: true }).click();
  await expect(first.page.locator(challengeFrame)).toHaveCount(1);
  await first.context.close();

  const again = await openLinkAsCustomer(browser, confirmLink!);
  try {
    await expect(heading(again.page, 'Confirm your payment', 1)).toBeVisible();
    await again.page.getByRole('button', { name: 'Confirm payment', exact: true }).click();
    await expect(again.page.locator(challengeFrame)).toHaveCount(1);
    await answerChallenge(again.page, 'Complete');
    await expect(heading(again.page, 'Payment confirmed', 2)).toBeVisible();
    await expect(again.page.getByText('$8.00 paid with Visa •••• 3184', { exact: true })).toBeVisible();
  } finally {
    await again.context.close();
  }
  await expect(chargeItem(page, 'Dry bag')).toContainText('Succeeded');
});
