import {
  test as base,
  expect,
  type APIRequestContext,
  type Browser,
  type BrowserContext,
  type Page,
  type Response,
} from '@playwright/test';
import { baseURL, mailboxURL } from '../ports';

declare global {
  interface Window {
    /** Set by a test; survives client-side navigation only. */
    __spaMarker?: number;
  }
}

/** Marks the document, so that a reload (which would drop the mark) is noticed later. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.__spaMarker = 4242;
  });
}

/** The page marked by `markDocument` is still the same document: it was never reloaded. */
export async function expectSameDocument(page: Page): Promise<void> {
  expect(await page.evaluate(() => window.__spaMarker), 'the page was reloaded').toBe(4242);
}

const noScriptContexts = new WeakSet<BrowserContext>();

/** Playwright's `test`, remembering which contexts run with JavaScript off. */
export const test = base.extend({
  context: async ({ context, javaScriptEnabled }, use) => {
    if (javaScriptEnabled === false) noScriptContexts.add(context);
    await use(context);
  },
});

export { expect };

/** A second, independent browser (own cookies), for multi-merchant tests. */
export async function newAppContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext();
}

/**
 * Waits until the current document is interactive as the app. The app marks `<body
 * data-hydrated>` once hydration has finished; with JavaScript off there is nothing to wait for
 * (the server-rendered forms work by themselves). After a client-side navigation the mark is still
 * there from the first load, so this returns at once.
 */
export async function waitForApp(page: Page): Promise<void> {
  if (noScriptContexts.has(page.context())) return;
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
}

/** page.goto plus waitForApp; returns the navigation's response. */
export async function open(page: Page, path: string): Promise<Response | null> {
  const response = await page.goto(path);
  await waitForApp(page);
  return response;
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

export function uniqueEmail(prefix: string): string {
  return `${unique(prefix)}@example.com`;
}

export interface Merchant {
  business: string;
  name: string;
  email: string;
  password: string;
}

export function newMerchant(prefix = 'merchant'): Merchant {
  const id = unique(prefix);
  return {
    business: `Harbour Tours ${id}`,
    name: 'Alex Morgan',
    email: `${id}@example.com`,
    password: 'correct horse battery staple',
  };
}

export interface Customer {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  notes: string;
}

export function newCustomer(prefix = 'customer'): Customer {
  const id = unique(prefix);
  return {
    firstName: 'Jamie',
    // Unique per test, so a name found on screen is this test's customer.
    lastName: `Rivera ${id.slice(-8)}`,
    email: `${id}@example.com`,
    phone: '+1 555 0100',
    notes: 'Booked the sunset tour by phone.',
  };
}

export function fullName(customer: Pick<Customer, 'firstName' | 'lastName'>): string {
  return `${customer.firstName} ${customer.lastName}`;
}

/** /customers/<id>, not /customers/new or /customers/<id>/edit. */
export function isProfileUrl(url: URL): boolean {
  return /^\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/customers/new';
}

export function isCustomersUrl(url: URL): boolean {
  return url.pathname === '/customers';
}

export function heading(page: Page, name: string, level: number) {
  return page.getByRole('heading', { name, level, exact: true });
}

export function mainMenu(page: Page) {
  return page.getByRole('navigation', { name: 'Main menu' });
}

/** Signs up a new merchant on /sign-up and checks that it lands on Customers, signed in. */
export async function signUp(page: Page, merchant: Merchant): Promise<void> {
  await open(page, '/sign-up');
  await expect(heading(page, 'Create your account', 1)).toBeVisible();
  await page.getByLabel('Business name', { exact: true }).fill(merchant.business);
  await page.getByLabel('Your name', { exact: true }).fill(merchant.name);
  await page.getByLabel('Email', { exact: true }).fill(merchant.email);
  await page.getByLabel('Password', { exact: true }).fill(merchant.password);
  await page.getByRole('button', { name: 'Create account', exact: true }).click();
  await page.waitForURL(isCustomersUrl);
  await waitForApp(page);
  await expect(heading(page, 'Customers', 1)).toBeVisible();
  await expect(page.getByRole('banner')).toContainText(merchant.business);
}

/** Fills and submits the sign-in form of the current page (/sign-in); the caller checks the outcome. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await expect(heading(page, 'Sign in', 1)).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByRole('banner').getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await waitForApp(page);
}

/** Fills the fields of the new/edit customer form that are given. */
export async function fillCustomerForm(page: Page, customer: Partial<Customer>): Promise<void> {
  const fields: [keyof Customer, string][] = [
    ['firstName', 'First name'],
    ['lastName', 'Last name'],
    ['email', 'Email'],
    ['phone', 'Phone'],
    ['notes', 'Notes'],
  ];
  for (const [key, label] of fields) {
    const value = customer[key];
    if (value !== undefined) await page.getByLabel(label, { exact: true }).fill(value);
  }
}

export async function saveCustomer(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save customer', exact: true }).click();
}

/** Checks what every new customer's profile shows. */
export async function expectProfile(page: Page, customer: Customer): Promise<void> {
  await expect(heading(page, fullName(customer), 1)).toBeVisible();
  await expect(heading(page, 'Contact details', 2)).toBeVisible();
  await expect(page.getByText(customer.email).first()).toBeVisible();
  await expect(heading(page, 'Payment Information', 2)).toBeVisible();
  await expect(heading(page, 'Payment Options', 3)).toBeVisible();
  await expect(page.getByText('No card on file').first()).toBeVisible();
  await expect(heading(page, 'Notifications', 2)).toBeVisible();
  await expect(page.getByText('No emails sent yet.').first()).toBeVisible();
  const actions = page
    .getByRole('complementary')
    .filter({ has: heading(page, 'Actions', 2) });
  await expect(actions).toBeVisible();
  await expect(actions.getByRole('link', { name: 'Edit customer', exact: true })).toBeVisible();
}

/** Creates a customer through /customers/new and returns the profile's URL. */
export async function createCustomer(page: Page, customer: Customer): Promise<string> {
  await open(page, '/customers/new');
  await expect(heading(page, 'New customer', 1)).toBeVisible();
  await fillCustomerForm(page, customer);
  await saveCustomer(page);
  await page.waitForURL(isProfileUrl);
  await waitForApp(page);
  await expect(heading(page, fullName(customer), 1)).toBeVisible();
  return page.url();
}

// ---- Stripe connection, card requests, the mailbox and the emulated Payment Element ----

/** Settings → MioPay (Stripe) → Connect demo Stripe, and waits until it says Connected. */
export async function connectDemoStripe(page: Page): Promise<void> {
  await open(page, '/settings');
  await expect(heading(page, 'Settings', 1)).toBeVisible();
  const stripe = page.getByRole('region', { name: 'MioPay (Stripe)' });
  await stripe.getByRole('button', { name: 'Connect demo Stripe', exact: true }).click();
  await expect(stripe.getByText('Connected', { exact: true })).toBeVisible();
}

/** The profile's Actions panel. */
export function actionsPanel(page: Page) {
  return page.getByRole('complementary').filter({ has: heading(page, 'Actions', 2) });
}

/** The profile's Notifications entries, newest first. */
export function notificationItems(page: Page) {
  return page.locator('ol.notifications > li.notification');
}

/** The Notifications entry titled `title` ("Card request", "Card saved notice") to `recipient`. */
export function notificationItem(page: Page, title: string, recipient: string) {
  return notificationItems(page)
    .filter({ hasText: title })
    .filter({ hasText: ` to ${recipient}` });
}

/** One message as maildev's REST API returns it. */
export interface MailMessage {
  id: string;
  subject: string;
  to: { address: string; name?: string }[];
  from: { address: string; name?: string }[];
  text: string;
  html: string;
  time: string;
}

/**
 * The messages maildev holds for `address`, in arrival order. Other specs share the mailbox, so
 * messages are told apart by their recipient, never cleared.
 */
export async function emailsTo(request: APIRequestContext, address: string): Promise<MailMessage[]> {
  const response = await request.get(`${mailboxURL}/api/email`);
  expect(response.ok(), `maildev answered ${response.status()}`).toBe(true);
  const messages = (await response.json()) as MailMessage[];
  const wanted = address.toLowerCase();
  return messages.filter((message) =>
    (message.to ?? []).some((to) => to.address.toLowerCase() === wanted),
  );
}

/**
 * Waits until `address` has at least `count` messages with `subject` and returns them, oldest
 * first.
 */
export async function waitForEmails(
  request: APIRequestContext,
  address: string,
  subject: string,
  count = 1,
): Promise<MailMessage[]> {
  let found: MailMessage[] = [];
  await expect
    .poll(
      async () => {
        found = (await emailsTo(request, address)).filter((message) => message.subject === subject);
        return found.length;
      },
      { message: `${count} email(s) "${subject}" to ${address}`, timeout: 20_000 },
    )
    .toBeGreaterThanOrEqual(count);
  return found.sort((a, b) => new Date(a.time).getTime() - new Date(b.time).getTime());
}

/** Waits for the first message with `subject` to `address`. */
export async function waitForEmail(
  request: APIRequestContext,
  address: string,
  subject: string,
): Promise<MailMessage> {
  const [message] = await waitForEmails(request, address, subject, 1);
  return message;
}

/** The card link in an email's text: `<baseURL>/pay/<43-character token>`. */
export function cardLinkIn(text: string): string {
  const escaped = baseURL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = text.match(new RegExp(`${escaped}/pay/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`));
  expect(match, `a card link in:\n${text}`).not.toBeNull();
  return match![0];
}

/** The emulated Payment Element's iframe (the emulator's origin, as with Stripe's own). */
export const paymentElementFrame = 'iframe[title="Secure payment input frame"]';
/** The emulated 3-D Secure challenge's iframe. */
export const challengeFrame = 'iframe[title="3D Secure challenge"]';

/** A future expiry as typed into the Payment Element ("12 / 29") and as shown after ("12/29"). */
export function testCardExpiry(): { typed: string; shown: string } {
  const year = String((new Date().getFullYear() + 3) % 100).padStart(2, '0');
  return { typed: `12 / ${year}`, shown: `12/${year}` };
}

/** Types a test card into the Payment Element of the page. */
export async function fillPaymentElement(page: Page, number: string): Promise<void> {
  const frame = page.frameLocator(paymentElementFrame);
  await frame.getByLabel('Card number', { exact: true }).fill(number);
  await frame.getByLabel('Expiration date', { exact: true }).fill(testCardExpiry().typed);
  await frame.getByLabel('Security code', { exact: true }).fill('123');
}

/** Answers the emulated 3-D Secure challenge with Complete or Fail. */
export async function answerChallenge(page: Page, answer: 'Complete' | 'Fail'): Promise<void> {
  const challenge = page.frameLocator(challengeFrame);
  await challenge.getByRole('button', { name: answer, exact: true }).click();
}
