import { expect, type Locator, type Page } from '@playwright/test';
import type { Merchant } from '../data';
import { AppPage } from './base';
import { CustomersPage, isCustomersUrl } from './customers';
import type { Mailbox } from './mailbox';
import { SettingsPage } from './settings';

/** The merchant's side of the app in one browser page: signing in and out, the main menu. */
export class App extends AppPage {
  readonly mainMenu: Locator;
  /** The top bar. */
  readonly banner: Locator;
  readonly customers: CustomersPage;
  readonly settings: SettingsPage;

  constructor(page: Page) {
    super(page);
    this.mainMenu = page.getByRole('navigation', { name: 'Main menu' });
    this.banner = page.getByRole('banner');
    this.customers = new CustomersPage(page);
    this.settings = new SettingsPage(page);
  }

  /** Signs up a new merchant on /sign-up and checks that it lands on Customers, signed in. */
  async signUp(merchant: Merchant): Promise<void> {
    const { page } = this;
    await this.goto('/sign-up');
    await expect(this.heading('Create your account', 1)).toBeVisible();
    await page.getByLabel('Business name', { exact: true }).fill(merchant.business);
    await page.getByLabel('Your name', { exact: true }).fill(merchant.name);
    await page.getByLabel('Email', { exact: true }).fill(merchant.email);
    await page.getByLabel('Password', { exact: true }).fill(merchant.password);
    await page.getByRole('button', { name: 'Create account', exact: true }).click();
    await this.expectSignedIn(merchant);
  }

  /**
   * Confirms the merchant's email address as they would: reads the confirmation email in the
   * mailbox, opens its link (a plain page, no app to wait for), then goes back to Customers.
   */
  async confirmEmail(merchant: Merchant, mailbox: Mailbox): Promise<void> {
    const link = await mailbox.waitForConfirmationLink(merchant.email);
    const response = await this.page.goto(link);
    expect(response?.status(), 'the confirmation link answers 200').toBe(200);
    await expect(this.heading('Email address confirmed', 1)).toBeVisible();
    await this.goto('/customers');
    await this.expectSignedIn(merchant);
  }

  /** Fills and submits the sign-in form of the current page (/sign-in); the caller checks the outcome. */
  async submitSignIn(email: string, password: string): Promise<void> {
    await expect(this.heading('Sign in', 1)).toBeVisible();
    await this.page.getByLabel('Email', { exact: true }).fill(email);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Lands on Customers with the merchant's business in the top bar. */
  async expectSignedIn(merchant: Merchant): Promise<void> {
    await this.page.waitForURL(isCustomersUrl);
    await this.waitForApp();
    await expect(this.heading('Customers', 1)).toBeVisible();
    await expect(this.banner).toContainText(merchant.business);
  }

  async signOut(): Promise<void> {
    await this.banner.getByRole('button', { name: 'Sign out', exact: true }).click();
    await this.page.waitForURL((url) => url.pathname === '/sign-in');
    await this.waitForApp();
  }

  /** Main menu → Customers, Bookings or Settings (client-side). */
  async fromMainMenu(link: 'Customers' | 'Bookings' | 'Settings'): Promise<void> {
    await this.mainMenu.getByRole('link', { name: link, exact: true }).click();
    await this.page.waitForURL((url) => url.pathname === `/${link.toLowerCase()}`);
    await this.waitForApp();
  }
}
