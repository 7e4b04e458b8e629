import { cardLine } from './data';
import { type Fixtures, expect, test } from './fixtures';
import { linkIn } from './pages/mailbox';

// Charging the cards on file from the customer's profile: a booking's Charge balance (in part,
// then the rest), a partial refund that puts the refunded amount back on the balance, and a
// card whose bank wants the customer to confirm: the email link, the confirm page with its 3-D
// Secure step, and the merchant's profile following along without a reload.

test.describe.configure({ mode: 'parallel' });

type World = Pick<Fixtures, 'merchant' | 'profile' | 'mailbox' | 'customerBrowser'>;

/** The customer saves 4000 0027 6000 3184 from the card link (with 3-D Secure): a card whose
 * bank will want the customer to confirm every off-session charge. */
async function saveCardThatNeedsConfirmation(world: World): Promise<void> {
  const { merchant, profile, mailbox, customerBrowser } = world;
  const link = await profile.sendCardRequestAndReadLink(mailbox, merchant);
  const pay = await customerBrowser.open(link);
  await pay.saveCard('4000 0027 6000 3184', { challenge: true });
  await pay.close();
  await expect(profile.paymentOption('3184')).toHaveCount(1);
}

/** Charges that card from the Actions panel; the charge waits for the customer, and the link to
 * confirm it is read from their email. */
async function chargeWaitingForTheCustomer(
  world: World,
  charge: { amount: string; description: string },
): Promise<string> {
  const { profile, mailbox } = world;
  const dialog = profile.chargeDialog;
  await profile.action('Charge').click();
  await dialog.charge(charge);
  await expect(dialog.status).toContainText('Waiting for the customer to confirm');
  return mailbox.waitForLink(profile.customer.email, /confirm/i);
}

test('Charge balance in part then in full, and a partial refund puts it back on the balance', async ({
  merchant,
  profile,
}) => {
  test.setTimeout(120_000);
  const title = 'Sunset kayak tour';
  const chargeButton = profile.action('Charge');

  await test.step('no card yet: Charge is disabled and says why', async () => {
    await expect(chargeButton).toBeDisabled();
    await expect(profile.actions).toContainText('Add a card first');
  });

  await test.step('Create Payment Option with 4242 4242 4242 4242: Charge is offered', async () => {
    await profile.addCard('4242 4242 4242 4242');
    await expect(chargeButton).toBeEnabled();
  });

  const booking = await test.step('a booking of $120.00, nothing paid', async () => {
    const item = await profile.createBooking({
      title,
      startsAt: '2030-07-01T18:00',
      participants: '2',
      total: '120.00',
    });
    await expect(item.money('Balance')).toHaveText('$120.00');
    return item;
  });

  const dialog = profile.chargeBalanceDialog;

  await test.step('Charge balance opens with the balance, the title and the card', async () => {
    await booking.chargeBalance.click();
    await expect(dialog.root).toBeVisible();
    await expect(dialog.amount).toBeFocused();
    await expect(dialog.amount).toHaveValue('120.00');
    await expect(dialog.description).toHaveValue(title);
    await expect(dialog.selectedCard).toHaveText(/^Visa •••• 4242 — expires /);
    await expect(dialog.emailReceipt).not.toBeChecked();
  });

  await test.step('more than the balance is refused at the Amount field', async () => {
    await dialog.amount.fill('500');
    await dialog.submit.click();
    await expect(dialog.amount).toHaveAttribute('aria-invalid', 'true');
    await expect(profile.charges).toHaveCount(0);
  });

  await test.step('$50.00 of it: charged, the booking owes $70.00', async () => {
    await dialog.amount.fill('50');
    await dialog.submit.click();
    await expect(dialog.status).toHaveText('Charged $50.00 to Visa •••• 4242');
    await dialog.close.click();
    await expect(dialog.root).toHaveCount(0);
    await expect(booking.money('Paid')).toHaveText('$50.00');
    await expect(booking.money('Balance')).toHaveText('$70.00');
    await expect(booking.status).toHaveText('Balance due');
    const charge = profile.charge('$50.00');
    await expect(charge).toHaveCount(1);
    await expect(charge).toContainText('Succeeded');
    await expect(charge).toContainText(title);
    await expect(charge).toContainText(`Visa •••• 4242`);
    await expect(charge).toContainText(`by ${merchant.name}`);
  });

  await test.step('Charge balance again: the rest, as a second charge', async () => {
    await booking.chargeBalance.click();
    await expect(dialog.amount).toHaveValue('70.00');
    await dialog.submit.click();
    await expect(dialog.status).toHaveText('Charged $70.00 to Visa •••• 4242');
    await dialog.close.click();
    await expect(booking.money('Balance')).toHaveText('$0.00');
    await expect(booking.status).toHaveText('Paid');
    await expect(booking.chargeBalance).toHaveCount(0);
    await expect(profile.charges).toHaveCount(2);
    await expect(profile.charge('$70.00')).toContainText('Succeeded');
  });

  await test.step('Refund $20.00 of the $70.00 charge, with a reason', async () => {
    const refund = profile.refundDialog;
    await profile.charge('$70.00').getByRole('button', { name: 'Refund', exact: true }).click();
    await expect(refund.root).toBeVisible();
    await expect(refund.root).toContainText('Up to $70.00 can be refunded.');
    await expect(refund.amount).toHaveValue('70.00');
    await refund.amount.fill('20');
    // The reason is required: the server says so at the field, and nothing is refunded.
    await refund.submit.click();
    await expect(refund.reason).toHaveAttribute('aria-invalid', 'true');
    await refund.reason.fill('Rain delay, one participant stayed ashore');
    await refund.submit.click();
    await expect(refund.status).toHaveText('Refunded $20.00 to Visa •••• 4242');
    await refund.close.click();
    await expect(refund.root).toHaveCount(0);
  });

  await test.step('the refund shows on the charge and back on the booking balance', async () => {
    const charge = profile.charge('$70.00');
    await expect(charge).toContainText('Refunded $20.00');
    const refunds = charge.getByRole('list', { name: 'Refunds' }).getByRole('listitem');
    await expect(refunds).toHaveCount(1);
    await expect(refunds).toContainText('$20.00');
    await expect(refunds).toContainText('Rain delay, one participant stayed ashore');
    await expect(refunds).toContainText(`by ${merchant.name}`);
    await expect(booking.money('Balance')).toHaveText('$20.00');
    await expect(booking.status).toHaveText('Balance due');
    // $50.00 more can still be refunded.
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toBeVisible();
    await profile.expectSameDocument();
  });
});

test('Try again and double clicks reuse the submission\'s key: one charge, never two', async ({
  page,
  profile,
}) => {
  test.setTimeout(90_000);
  await profile.addCard('4242 4242 4242 4242');

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

  const dialog = profile.chargeDialog;
  await profile.action('Charge').click();
  await dialog.charge({ amount: '30', description: 'Kayak rental' });

  const alert = dialog.alert;
  await expect(alert).toContainText('Stripe could not be reached. Please try again in a moment.');
  await alert.getByRole('button', { name: 'Try again', exact: true }).click();
  await expect(alert).toContainText('We could not reach the server.');
  await alert.getByRole('button', { name: 'Try again', exact: true }).click();
  await expect(dialog.status).toHaveText('Charged $30.00 to Visa •••• 4242');
  await dialog.close.click();

  expect(keys).toHaveLength(3);
  expect(keys[0]).toMatch(/^[0-9a-f]{32}$/);
  expect(new Set(keys).size, 'every retry carries the first key').toBe(1);
  const first = profile.charge('Kayak rental');
  await expect(first).toHaveCount(1);
  await expect(first).toContainText('$30.00');
  await expect(first).toContainText('Succeeded');

  await test.step('a double click on Charge: one charge, with a new key', async () => {
    await profile.action('Charge').click();
    await dialog.amount.fill('15');
    await dialog.description.fill('Paddle rental');
    await dialog.submit.dblclick();
    await expect(dialog.status).toHaveText('Charged $15.00 to Visa •••• 4242');
    const second = keys.slice(3);
    expect(second.length).toBeGreaterThanOrEqual(1);
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(keys[0]);
    await dialog.close.click();
    await expect(profile.charges).toHaveCount(2);
    await expect(profile.charge('Paddle rental')).toHaveCount(1);
  });
});

test('a declined card: the reason in the dialog and in Payments, then another card is charged', async ({
  profile,
}) => {
  test.setTimeout(90_000);
  // 4000 0000 0000 0341 is saved fine; every charge on it is declined.
  await profile.addCard('4000 0000 0000 0341');
  await profile.addCard('4242 4242 4242 4242');

  const dialog = profile.chargeDialog;
  await profile.action('Charge').click();
  await dialog.amount.fill('20');
  await dialog.description.fill('Snorkel tour');
  await dialog.card.selectOption({ label: `${cardLine('0341')} (default)` });
  await dialog.submit.click();

  await expect(dialog.alert).toHaveText(/^Declined: \S/);
  const reason = (await dialog.alert.textContent()) ?? '';
  const declined = profile.charge('Snorkel tour');
  await expect(declined).toHaveCount(1);
  await expect(declined).toContainText(reason);
  await expect(declined.getByRole('button', { name: 'Refund', exact: true })).toHaveCount(0);

  // The form stays, as typed: another card, and Charge is a new attempt.
  await expect(dialog.amount).toHaveValue('20');
  await dialog.card.selectOption({ label: cardLine('4242') });
  await dialog.submit.click();
  await expect(dialog.status).toHaveText('Charged $20.00 to Visa •••• 4242');
  await dialog.close.click();

  await expect(profile.charges).toHaveCount(2);
  await expect(profile.charges.filter({ hasText: 'Succeeded' })).toContainText('Visa •••• 4242');
  await expect(profile.charges.filter({ hasText: reason })).toContainText('Visa •••• 0341');
});

test('4000 0027 6000 3184: the customer confirms the payment from the resent link', async ({
  page,
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(120_000);
  const { customer } = profile;
  const description = 'Harbour cruise deposit';
  const chargeButton = profile.action('Charge');

  await test.step('the customer saves the card from the card link (with 3-D Secure)', async () => {
    await saveCardThatNeedsConfirmation({ merchant, profile, mailbox, customerBrowser });
  });

  const dialog = profile.chargeDialog;

  await test.step('Charge opens empty with the card; Escape closes it and focus returns', async () => {
    await chargeButton.click();
    await expect(dialog.root).toBeVisible();
    await expect(dialog.amount).toHaveValue('');
    await expect(dialog.description).toHaveValue('');
    await expect(dialog.selectedCard).toHaveText(/^Visa •••• 3184 — expires /);
    await page.keyboard.press('Escape');
    await expect(dialog.root).toHaveCount(0);
    await expect(chargeButton).toBeFocused();
  });

  await test.step('Charge $45.00: the bank wants the customer, who is emailed a link', async () => {
    await chargeButton.click();
    await dialog.charge({ amount: '45.00', description });
    await expect(dialog.status).toHaveText(
      'Waiting for the customer to confirm — we emailed them a link',
    );
    await dialog.close.click();
    await expect(dialog.root).toHaveCount(0);
    const charge = profile.charge(description);
    await expect(charge).toContainText('Waiting for the customer to confirm');
    await expect(charge).toContainText('$45.00');
    // Nothing was paid, so nothing can be refunded.
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toHaveCount(0);
  });

  const subject = `Please confirm your payment of $45.00 to ${merchant.business}`;
  const [firstEmail] = await mailbox.waitForEmails(customer.email, subject, 1);
  const firstLink = linkIn(firstEmail);

  await test.step('Resend link: a second email with a new link', async () => {
    const charge = profile.charge(description);
    await charge.getByRole('button', { name: 'Resend link', exact: true }).click();
    await expect(charge.getByRole('status')).toHaveText(`Sent a new link to ${customer.email}`);
    await expect(charge).toContainText('Waiting for the customer to confirm');
    await profile.expectSameDocument();
  });
  const emails = await mailbox.waitForEmails(customer.email, subject, 2);
  const link = linkIn(emails[1]);
  expect(link).not.toBe(firstLink);

  await test.step('the first link now says a newer one was sent', async () => {
    const old = await customerBrowser.open(firstLink, { status: 410 });
    await expect(old.heading('This link has been revoked', 1)).toBeVisible();
    await old.close();
  });

  const pay = await customerBrowser.open(link);
  await test.step('the confirm page names the payment; no card form', async () => {
    await expect(pay.heading('Confirm your payment', 1)).toBeVisible();
    await expect(pay.page.getByText(`Hi ${customer.firstName},`, { exact: true })).toBeVisible();
    await expect(
      pay.page.getByText(
        `${merchant.business} asks you to confirm a payment of $45.00 for ${description} with Visa •••• 3184.`,
        { exact: true },
      ),
    ).toBeVisible();
    await expect(pay.paymentElement.iframe).toHaveCount(0);
  });

  await test.step('Confirm payment → the bank\'s challenge → Complete → confirmed', async () => {
    await expect(pay.confirmPaymentButton).toBeEnabled();
    await pay.confirmPayment('Complete');
    await expect(pay.heading('Payment confirmed', 2)).toBeVisible();
    await expect(pay.page.getByText('$45.00 paid with Visa •••• 3184', { exact: true })).toBeVisible();
    await expect(pay.challenge.iframe).toHaveCount(0);
  });
  await pay.close();

  await test.step('the merchant\'s untouched profile shows the charge succeeded', async () => {
    const charge = profile.charge(description);
    await expect(charge).toContainText('Succeeded');
    await expect(charge).not.toContainText('Waiting for the customer to confirm');
    await expect(charge.getByRole('button', { name: 'Refund', exact: true })).toBeVisible();
    await profile.expectSameDocument();
  });

  await test.step('the merchant is emailed that the customer confirmed', async () => {
    const notice = await mailbox.waitForEmail(merchant.email, /confirmed the payment/);
    expect(notice.subject).toContain('$45.00');
  });
});

test('the confirm page: a failed challenge says so and Confirm payment works again', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(120_000);
  const world = { merchant, profile, mailbox, customerBrowser };
  await saveCardThatNeedsConfirmation(world);
  const confirmLink = await chargeWaitingForTheCustomer(world, {
    amount: '12.50',
    description: 'Life jacket rental',
  });
  const pay = await customerBrowser.open(confirmLink);
  await pay.confirmPayment('Fail');
  await expect(pay.alert).toContainText('unable to authenticate');
  await expect(pay.confirmPaymentButton).toBeEnabled();
  await expect(pay.heading('Payment confirmed', 2)).toHaveCount(0);

  await pay.confirmPayment('Complete');
  await expect(pay.heading('Payment confirmed', 2)).toBeVisible();
  await expect(pay.page.getByText('$12.50 paid with Visa •••• 3184', { exact: true })).toBeVisible();
  await pay.close();
  await expect(profile.charge('Life jacket rental')).toContainText('Succeeded');
});

test('the confirm page: a customer who left during the bank\'s step can come back to it', async ({
  merchant,
  profile,
  mailbox,
  customerBrowser,
}) => {
  test.setTimeout(120_000);
  const world = { merchant, profile, mailbox, customerBrowser };
  await saveCardThatNeedsConfirmation(world);
  const confirmLink = await chargeWaitingForTheCustomer(world, {
    amount: '8.00',
    description: 'Dry bag',
  });

  // The first visit opens the bank's step and leaves without answering it: the payment now
  // waits at Stripe for that step.
  const first = await customerBrowser.open(confirmLink);
  await first.confirmPayment();
  await first.close();

  const again = await customerBrowser.open(confirmLink);
  await expect(again.heading('Confirm your payment', 1)).toBeVisible();
  await again.confirmPayment('Complete');
  await expect(again.heading('Payment confirmed', 2)).toBeVisible();
  await expect(again.page.getByText('$8.00 paid with Visa •••• 3184', { exact: true })).toBeVisible();
  await again.close();
  await expect(profile.charge('Dry bag')).toContainText('Succeeded');
});
