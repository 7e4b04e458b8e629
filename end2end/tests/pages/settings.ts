import { expect, type Locator, type Page } from '@playwright/test';
import { AppPage } from './base';

/** Settings: the business, card requests, MioPay (Stripe), bookings and charges. */
export class SettingsPage extends AppPage {
  /** The MioPay (Stripe) section. */
  readonly stripe: Locator;

  constructor(page: Page) {
    super(page);
    this.stripe = this.section('MioPay (Stripe)');
  }

  /** A section of the page by its heading: "Business", "Card requests", … */
  section(name: string): Locator {
    return this.page.getByRole('region', { name });
  }

  async open(): Promise<void> {
    await this.goto('/settings');
    await expect(this.heading('Settings', 1)).toBeVisible();
  }

  /** MioPay (Stripe) → Connect demo Stripe, and waits until it says Connected. */
  async connectDemoStripe(): Promise<void> {
    await this.stripe.getByRole('button', { name: 'Connect demo Stripe', exact: true }).click();
    await expect(this.stripe.getByText('Connected', { exact: true })).toBeVisible();
  }
}
