import type { FrameLocator, Locator, Page } from '@playwright/test';
import { testCardExpiry } from '../data';

// Stripe's parts of a page, as the emulated Stripe.js draws them: the Payment Element and the
// 3-D Secure challenge, each in an iframe of the emulator's origin (as with Stripe's own).

/** The Payment Element inside `root` (a page, or a dialog of it). */
export class PaymentElement {
  /** The <iframe> itself, for its count and its src. */
  readonly iframe: Locator;
  /** Inside the frame. */
  readonly frame: FrameLocator;
  readonly cardNumber: Locator;

  constructor(root: Page | Locator) {
    const selector = 'iframe[title="Secure payment input frame"]';
    this.iframe = root.locator(selector);
    this.frame = root.frameLocator(selector);
    this.cardNumber = this.frame.getByLabel('Card number', { exact: true });
  }

  /** Types a test card (a future expiry, CVC 123). */
  async fill(number: string): Promise<void> {
    await this.cardNumber.fill(number);
    await this.frame.getByLabel('Expiration date', { exact: true }).fill(testCardExpiry().typed);
    await this.frame.getByLabel('Security code', { exact: true }).fill('123');
  }
}

/** The emulated 3-D Secure challenge of a page. */
export class Challenge {
  readonly iframe: Locator;
  readonly frame: FrameLocator;

  constructor(page: Page) {
    const selector = 'iframe[title="3D Secure challenge"]';
    this.iframe = page.locator(selector);
    this.frame = page.frameLocator(selector);
  }

  /** Answers the challenge with Complete or Fail. */
  async answer(answer: 'Complete' | 'Fail'): Promise<void> {
    await this.frame.getByRole('button', { name: answer, exact: true }).click();
  }
}
