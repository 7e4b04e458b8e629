import { test as base, expect, type TestInfo } from '@playwright/test';
import * as path from 'node:path';
import { type Customer, type Merchant, newCustomer, newMerchant } from './data';
import { App } from './pages/app';
import { runsWithoutJavaScript } from './pages/base';
import { Mailbox } from './pages/mailbox';
import { CustomerBrowser } from './pages/pay';
import type { ProfilePage } from './pages/profile';

// The one fixture of the browser tests: Playwright's `test` with the app's page objects. A test
// asks for what it starts from (a signed-up merchant's app, a customer's profile, the mailbox, the
// customer's own browser) and gets it ready; `test.use` tells it how where specs differ.

/** How `profile` sets things up (`test.use` changes them for a file or a `test.describe`). */
export interface ProfileOptions {
  /** Connect demo Stripe in Settings before the customer is added (default: yes). */
  connectStripe: boolean;
  /** Who the customer is, over newCustomer()'s Jamie Rivera (default: nobody else). */
  customerDetails: Partial<Customer>;
  /** Check everything a new profile shows before the test begins (default: no). */
  checkNewProfile: boolean;
}

export interface Fixtures {
  /** Who signs up: a new merchant of this test's own. */
  merchant: Merchant;
  /** The merchant's side of the app on `page`, with `merchant` signed up and its email address confirmed (on Customers). */
  app: App;
  /** `app` (with demo Stripe connected) on a new customer's profile, marked by markDocument. */
  profile: ProfilePage;
  /** maildev, where every email of the app ends up. */
  mailbox: Mailbox;
  /** Opens emailed links as the customer, in browsers of their own. */
  customerBrowser: CustomerBrowser;
}

/** What this test's merchants, customers and emails are named after: its spec's file. */
function prefix(testInfo: TestInfo): string {
  return path.basename(testInfo.file).replace(/\.(spec|bench)\.ts$/, '');
}

export const test = base.extend<ProfileOptions & Fixtures>({
  connectStripe: [true, { option: true }],
  customerDetails: [{}, { option: true }],
  checkNewProfile: [false, { option: true }],

  // Remembers which contexts run with JavaScript off, for waitForApp.
  context: async ({ context, javaScriptEnabled }, use) => {
    if (javaScriptEnabled === false) runsWithoutJavaScript(context);
    await use(context);
  },

  merchant: async ({}, use, testInfo) => {
    await use(newMerchant(prefix(testInfo)));
  },

  // Signed up, and the email address confirmed from the mailbox as the merchant would: until
  // then nothing may be sent to customers.
  app: async ({ page, merchant, mailbox }, use) => {
    const app = new App(page);
    await app.signUp(merchant);
    await app.confirmEmail(merchant, mailbox);
    await use(app);
  },

  profile: async ({ app, connectStripe, customerDetails, checkNewProfile }, use, testInfo) => {
    if (connectStripe) {
      await app.settings.open();
      await app.settings.connectDemoStripe();
    }
    const profile = await app.customers.create(newCustomer(prefix(testInfo), customerDetails));
    if (checkNewProfile) await profile.expectNew();
    await profile.markDocument();
    await use(profile);
  },

  mailbox: async ({ request }, use) => {
    await use(new Mailbox(request));
  },

  customerBrowser: async ({ browser }, use) => {
    const customerBrowser = new CustomerBrowser(browser);
    await use(customerBrowser);
    await customerBrowser.closeAll();
  },
});

export { expect };
