import type { APIRequestContext, Browser, BrowserContext, Locator, Page } from '@playwright/test';
import {
  actionsPanel,
  answerChallenge,
  cardLinkIn,
  challengeFrame,
  connectDemoStripe,
  createCustomer,
  type Customer,
  emailsTo,
  expect,
  fillPaymentElement,
  heading,
  markDocument,
  type MailMessage,
  type Merchant,
  newCustomer,
  newMerchant,
  signUp,
  testCardExpiry,
  waitForApp,
  waitForEmail,
} from './helpers';

// What the charges specs share: a merchant with a customer, a card on file (typed by the
// merchant or saved by the customer from the emailed link), bookings, and the profile's parts.

export { expectSameDocument, markDocument } from './helpers';

/** A merchant with demo Stripe connected and a new customer's profile open (and marked). */
export async function merchantWithCustomer(
  page: Page,
  prefix: string,
): Promise<{ merchant: Merchant; customer: Customer; profileUrl: string }> {
  const merchant = newMerchant(prefix);
  const customer = newCustomer(prefix);
  await signUp(page, merchant);
  await connectDemoStripe(page);
  const profileUrl = await createCustomer(page, customer);
  await markDocument(page);
  return { merchant, customer, profileUrl };
}

/** "Visa •••• 4242 — expires 12/29": a card as Payment Options lists it. */
export function cardLine(last4: string, brand = 'Visa'): string {
  return `${brand} •••• ${last4} — expires ${testCardExpiry().shown}`;
}

export function paymentOption(page: Page, last4: string, brand = 'Visa'): Locator {
  return page
    .getByRole('region', { name: 'Payment Options', exact: true })
    .getByRole('listitem')
    .filter({ hasText: cardLine(last4, brand) });
}

/** Actions → Create Payment Option: the merchant types a card the customer gave them. */
export async function addCardAsMerchant(page: Page, number: string, last4: string): Promise<void> {
  await actionsPanel(page).getByRole('button', { name: 'Create Payment Option', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Create Payment Option' });
  await expect(dialog).toBeVisible();
  await fillPaymentElement(page, number);
  await dialog.getByRole('button', { name: 'Save card', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  await expect(paymentOption(page, last4)).toHaveCount(1);
}

/** Actions → Send Email → Send, then the link from the email the customer got. */
export async function sendCardRequestAndReadLink(
  page: Page,
  request: APIRequestContext,
  merchant: Merchant,
  customer: Customer,
): Promise<string> {
  await actionsPanel(page).getByRole('button', { name: 'Send Email', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Send card request' });
  await dialog.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  const email = await waitForEmail(request, customer.email, `${merchant.business} asks you to add a card`);
  return cardLinkIn(email.text);
}

export interface CustomerBrowser {
  context: BrowserContext;
  page: Page;
}

/** Opens an emailed link as the customer would: a browser with none of the merchant's cookies. */
export async function openLinkAsCustomer(browser: Browser, link: string): Promise<CustomerBrowser> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(link);
  expect(response?.status(), `GET ${link}`).toBe(200);
  await waitForApp(page);
  return { context, page };
}

/**
 * The customer saves `number` on the card page of `link`; cards that ask for 3-D Secure when
 * saved (4000 0027 6000 3184) get the challenge answered with Complete.
 */
export async function saveCardAsCustomer(
  browser: Browser,
  link: string,
  number: string,
  last4: string,
  options: { challenge?: boolean } = {},
): Promise<void> {
  const { context, page } = await openLinkAsCustomer(browser, link);
  try {
    const save = page.getByRole('button', { name: 'Save card', exact: true });
    await expect(save).toBeEnabled();
    await fillPaymentElement(page, number);
    await save.click();
    if (options.challenge) {
      await expect(page.locator(challengeFrame)).toHaveCount(1);
      await answerChallenge(page, 'Complete');
    }
    await expect(heading(page, 'Your card has been saved', 2)).toBeVisible();
    await expect(page.getByText(cardLine(last4), { exact: true })).toBeVisible();
  } finally {
    await context.close();
  }
}

/** Actions → New booking → Create booking; returns the booking's item in Bookings. */
export async function createBooking(
  page: Page,
  booking: { title: string; startsAt: string; participants: string; total: string },
): Promise<Locator> {
  await actionsPanel(page).getByRole('button', { name: 'New booking', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('What', { exact: true }).fill(booking.title);
  await dialog.getByLabel('Date and time', { exact: true }).fill(booking.startsAt);
  await dialog.getByLabel('Participants', { exact: true }).fill(booking.participants);
  await dialog.getByLabel('Total', { exact: true }).fill(booking.total);
  await dialog.getByRole('button', { name: 'Create booking', exact: true }).click();
  await expect(dialog).toHaveCount(0);
  const item = bookingItem(page, booking.title);
  await expect(item).toHaveCount(1);
  return item;
}

/** A booking in the profile's Bookings, by its title. */
export function bookingItem(page: Page, title: string): Locator {
  return page
    .getByRole('region', { name: 'Bookings', exact: true })
    .getByRole('listitem', { name: title, exact: true });
}

/** "Total", "Paid" or "Balance" of a booking item. */
export function bookingMoney(booking: Locator, label: 'Total' | 'Paid' | 'Balance'): Locator {
  return booking
    .locator('dl div')
    .filter({ has: booking.page().locator('dt', { hasText: new RegExp(`^${label}$`) }) })
    .locator('dd');
}

/** "Paid", "Balance due", "Not paid", "Credit". */
export function bookingStatus(booking: Locator): Locator {
  return booking.locator('.booking-status');
}

/** The profile's Payments section. */
export function paymentsSection(page: Page): Locator {
  return page.getByRole('region', { name: 'Payments', exact: true });
}

/** The charges of Payments, newest first. */
export function chargeItems(page: Page): Locator {
  return paymentsSection(page).locator('ol.charges > li');
}

/** The charge of Payments whose text has `text` (its amount, its description). */
export function chargeItem(page: Page, text: string): Locator {
  return chargeItems(page).filter({ hasText: text });
}

/**
 * Waits for an email to `address` whose subject matches `subject` and returns the newest. The
 * mailbox is shared by all specs, so messages are told apart by their recipient.
 */
export async function waitForEmailMatching(
  request: APIRequestContext,
  address: string,
  subject: RegExp,
): Promise<MailMessage> {
  let found: MailMessage[] = [];
  await expect
    .poll(
      async () => {
        found = (await emailsTo(request, address)).filter((m) => subject.test(m.subject));
        return found.length;
      },
      { message: `an email to ${address} with a subject like ${subject}`, timeout: 20_000 },
    )
    .toBeGreaterThan(0);
  return found.sort((a, b) => new Date(b.time).getTime() - new Date(a.time).getTime())[0];
}
