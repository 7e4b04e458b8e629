import { expect, type Browser, type BrowserContext, type Locator, type Page, type Response } from '@playwright/test';
import { stripeEmulatorURL } from '../../ports';
import { cardLine, type Customer, last4, type Merchant } from '../data';
import { AppPage } from './base';
import { Challenge, PaymentElement } from './stripe';

/**
 * The customer's /pay page, where an emailed link leads: the card form (Payment Element, Save
 * card), the confirm page of a charge (Confirm payment), the bank's 3-D Secure step, and the
 * panels that end them (saved, confirmed, already used, revoked).
 */
export class PayPage extends AppPage {
  readonly paymentElement: PaymentElement;
  readonly challenge: Challenge;
  readonly saveCardButton: Locator;
  readonly confirmPaymentButton: Locator;
  /** The page's error, once it has one. */
  readonly alert: Locator;
  /** The answer to the last `goto`. */
  response!: Response;
  /** Paths of our own scripts and WASM (`/pkg/…`) the page has asked for, in order. */
  readonly bundleRequests: string[] = [];

  constructor(page: Page) {
    super(page);
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/pkg/') && /\.(js|wasm)$/.test(pathname)) this.bundleRequests.push(pathname);
    });
    this.paymentElement = new PaymentElement(page);
    this.challenge = new Challenge(page);
    this.saveCardButton = page.getByRole('button', { name: 'Save card', exact: true });
    this.confirmPaymentButton = page.getByRole('button', { name: 'Confirm payment', exact: true });
    this.alert = page.getByRole('alert').filter({ hasText: /\S/ });
  }

  /** Opens `link` (checking the answer's status, 200 unless told) and waits for the app. */
  async goto(link: string, options: { status?: number } = {}): Promise<Response> {
    const response = await this.page.goto(link);
    expect(response, `GET ${link}`).not.toBeNull();
    expect(response!.status(), `GET ${link}`).toBe(options.status ?? 200);
    this.response = response!;
    await this.waitForApp();
    return response!;
  }

  /** The card form of /pay, loaded and ready for a card. */
  async expectCardForm(merchant: Merchant, customer: Customer): Promise<void> {
    expect(new URL(this.page.url()).pathname).toBe('/pay');
    await expect(this.heading(merchant.business, 1)).toBeVisible();
    await expect(this.page.getByText(`Hi ${customer.firstName},`, { exact: true })).toBeVisible();
    await expect(this.heading('Card details', 2)).toBeVisible();
    const frame = this.paymentElement.iframe;
    await expect(frame).toHaveCount(1);
    expect(new URL((await frame.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
    await expect(this.saveCardButton).toBeEnabled();
  }

  /**
   * Saves `number` with Save card; a card that asks for 3-D Secure when saved (4000 0027 6000
   * 3184) gets the challenge answered with Complete when `challenge` is set.
   */
  async saveCard(number: string, options: { challenge?: boolean } = {}): Promise<void> {
    await expect(this.saveCardButton).toBeEnabled();
    await this.paymentElement.fill(number);
    await this.saveCardButton.click();
    if (options.challenge) {
      await expect(this.challenge.iframe).toHaveCount(1);
      await this.challenge.answer('Complete');
    }
    await this.expectCardSaved(last4(number));
  }

  async expectCardSaved(last4: string): Promise<void> {
    await expect(this.heading('Your card has been saved', 2)).toBeVisible();
    await expect(this.page.getByText(cardLine(last4), { exact: true })).toBeVisible();
  }

  /** Confirm payment, then the bank's challenge appears; answered when `answer` is given. */
  async confirmPayment(answer?: 'Complete' | 'Fail'): Promise<void> {
    await this.confirmPaymentButton.click();
    await expect(this.challenge.iframe).toHaveCount(1);
    if (answer) await this.challenge.answer(answer);
  }

  /** The customer leaves: closes their browser. */
  async close(): Promise<void> {
    await this.page.context().close();
  }
}

/**
 * Opens emailed links as the customer would: each in a browser of its own, with none of the
 * merchant's cookies. Whatever a test leaves open is closed after it.
 */
export class CustomerBrowser {
  private readonly contexts: BrowserContext[] = [];

  constructor(private readonly browser: Browser) {}

  /** Opens `link` in a new browser; its answer must have `status` (200 unless told). */
  async open(
    link: string,
    options: { status?: number; viewport?: { width: number; height: number } } = {},
  ): Promise<PayPage> {
    const context = await this.browser.newContext(
      options.viewport ? { viewport: options.viewport } : {},
    );
    this.contexts.push(context);
    const pay = new PayPage(await context.newPage());
    await pay.goto(link, { status: options.status });
    return pay;
  }

  async closeAll(): Promise<void> {
    for (const context of this.contexts) await context.close();
  }
}
