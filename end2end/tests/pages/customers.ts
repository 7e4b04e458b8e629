import { expect, type Locator, type Page } from '@playwright/test';
import { type Customer, fullName } from '../data';
import { AppPage } from './base';
import { ProfilePage } from './profile';

/** /customers/<id>, not /customers/new or /customers/<id>/edit. */
export function isProfileUrl(url: URL): boolean {
  return /^\/customers\/[^/]+$/.test(url.pathname) && url.pathname !== '/customers/new';
}

export function isCustomersUrl(url: URL): boolean {
  return url.pathname === '/customers';
}

/** Customers: the list with its search, and the New customer form. */
export class CustomersPage extends AppPage {
  readonly search: Locator;

  constructor(page: Page) {
    super(page);
    this.search = page.getByRole('search');
  }

  /** /customers, or /customers?q=<query>. */
  async open(query?: string): Promise<void> {
    await this.goto(query === undefined ? '/customers' : `/customers?q=${encodeURIComponent(query)}`);
  }

  /** Searches the list and waits for its answer. */
  async searchFor(query: string): Promise<void> {
    await this.search.getByLabel('Search customers', { exact: true }).fill(query);
    await this.search.getByRole('button', { name: 'Search', exact: true }).click();
    await this.page.waitForURL((url) => isCustomersUrl(url) && url.searchParams.get('q') === query);
    await this.waitForApp();
  }

  /** The list's row that has `text`. */
  row(text: string): Locator {
    return this.page.getByRole('row').filter({ hasText: text });
  }

  // ---- The New customer form ----

  /** Opens /customers/new. */
  async openNew(): Promise<void> {
    await this.goto('/customers/new');
    await expect(this.heading('New customer', 1)).toBeVisible();
  }

  /** Customers → New customer. */
  async clickNewCustomer(): Promise<void> {
    await this.page.getByRole('link', { name: 'New customer', exact: true }).click();
    await this.page.waitForURL((url) => url.pathname === '/customers/new');
    await this.waitForApp();
    await expect(this.heading('New customer', 1)).toBeVisible();
  }

  /** Fills the fields of the new/edit customer form that are given. */
  async fillForm(customer: Partial<Customer>): Promise<void> {
    const fields: [keyof Customer, string][] = [
      ['firstName', 'First name'],
      ['lastName', 'Last name'],
      ['email', 'Email'],
      ['phone', 'Phone'],
      ['notes', 'Notes'],
    ];
    for (const [key, label] of fields) {
      const value = customer[key];
      if (value !== undefined) await this.page.getByLabel(label, { exact: true }).fill(value);
    }
  }

  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save customer', exact: true }).click();
  }

  /** Fills the open form with `customer`, saves, and waits for the new profile. */
  async saveNew(customer: Customer): Promise<ProfilePage> {
    await this.fillForm(customer);
    await this.save();
    await this.page.waitForURL(isProfileUrl);
    await this.waitForApp();
    await expect(this.heading(fullName(customer), 1)).toBeVisible();
    return new ProfilePage(this.page, customer, this.page.url());
  }

  /** Creates a customer through /customers/new; the profile is open after. */
  async create(customer: Customer): Promise<ProfilePage> {
    await this.openNew();
    return this.saveNew(customer);
  }
}
