import { expect, type Locator, type Page } from '@playwright/test';
import { stripeEmulatorURL } from '../../ports';
import { cardLine, type Customer, fullName, last4, type Merchant } from '../data';
import { AppPage } from './base';
import { cardRequestSubject, type Mailbox } from './mailbox';
import { Challenge, PaymentElement } from './stripe';

/**
 * A customer's profile, as the merchant sees it: contact details, Payment Options, Notifications,
 * Payments, Bookings and Activity, with the Actions panel and the dialogs it opens. The page
 * follows changes live, so tests check it without reloading (see markDocument).
 */
export class ProfilePage extends AppPage {
  /** The Actions panel beside the profile. */
  readonly actions: Locator;
  /** "No card on file", shown while Payment Options is empty. */
  readonly noCardOnFile: Locator;
  /** The cards listed under Payment Options. */
  readonly paymentOptions: Locator;
  /** Notifications entries (card requests, notices), newest first. */
  readonly notifications: Locator;
  /** The Payments section. */
  readonly payments: Locator;
  /** The charges of Payments, newest first. */
  readonly charges: Locator;
  /** The Bookings section. */
  readonly bookings: Locator;
  readonly activity: Locator;
  /** The Payment Element (in Create Payment Option) and 3-D Secure challenge of the page. */
  readonly paymentElement: PaymentElement;
  readonly challenge: Challenge;
  readonly createPaymentOption: CreatePaymentOptionDialog;
  /** Actions → Charge. */
  readonly chargeDialog: ChargeDialog;
  /** A booking's Charge balance. */
  readonly chargeBalanceDialog: ChargeDialog;
  readonly refundDialog: RefundDialog;
  readonly newBookingDialog: NewBookingDialog;
  /** A card's Remove. */
  readonly removeCardDialog: Locator;

  constructor(
    page: Page,
    readonly customer: Customer,
    /** /customers/<id> */
    readonly url: string,
  ) {
    super(page);
    this.actions = page.getByRole('complementary').filter({ has: this.heading('Actions', 2) });
    this.noCardOnFile = page.getByText('No card on file');
    this.paymentOptions = page
      .getByRole('region', { name: 'Payment Options', exact: true })
      .getByRole('listitem');
    this.notifications = page.locator('ol.notifications > li.notification');
    this.payments = page.getByRole('region', { name: 'Payments', exact: true });
    this.charges = this.payments.locator('ol.charges > li');
    this.bookings = page.getByRole('region', { name: 'Bookings', exact: true });
    this.activity = page.getByRole('region', { name: 'Activity' });
    this.paymentElement = new PaymentElement(page);
    this.challenge = new Challenge(page);
    this.createPaymentOption = new CreatePaymentOptionDialog(this);
    this.chargeDialog = new ChargeDialog(page, 'Charge');
    this.chargeBalanceDialog = new ChargeDialog(page, 'Charge balance');
    this.refundDialog = new RefundDialog(page);
    this.newBookingDialog = new NewBookingDialog(page);
    this.removeCardDialog = page.getByRole('dialog', { name: 'Remove card' });
  }

  /** A button of the Actions panel: "Send Email", "Resend", "Charge", "New booking", … */
  action(name: string): Locator {
    return this.actions.getByRole('button', { name, exact: true });
  }

  /** Checks what every new customer's profile shows. */
  async expectNew(): Promise<void> {
    const { page, customer } = this;
    await expect(this.heading(fullName(customer), 1)).toBeVisible();
    await expect(this.heading('Contact details', 2)).toBeVisible();
    await expect(page.getByText(customer.email).first()).toBeVisible();
    await expect(this.heading('Payment Information', 2)).toBeVisible();
    await expect(this.heading('Payment Options', 3)).toBeVisible();
    await expect(this.noCardOnFile.first()).toBeVisible();
    await expect(this.heading('Notifications', 2)).toBeVisible();
    await expect(page.getByText('No emails sent yet.').first()).toBeVisible();
    await expect(this.actions).toBeVisible();
    await expect(this.actions.getByRole('link', { name: 'Edit customer', exact: true })).toBeVisible();
  }

  // ---- Payment Options ----

  /** The listed card, e.g. "Visa •••• 4242 — expires 12/29". */
  paymentOption(last4: string, brand = 'Visa'): Locator {
    return this.paymentOptions.filter({ hasText: cardLine(last4, brand) });
  }

  /** Actions → Create Payment Option with a card the customer gave the merchant; checks it is listed. */
  async addCard(number: string, brand = 'Visa'): Promise<void> {
    const dialog = this.createPaymentOption;
    await dialog.open();
    await this.paymentElement.fill(number);
    await dialog.saveCard.click();
    await expect(dialog.root).toHaveCount(0);
    await expect(this.paymentOption(last4(number), brand)).toHaveCount(1);
  }

  // ---- Notifications and the card request ----

  /** The Notifications entry titled `title` ("Card request", "Card saved notice") to `recipient`. */
  notification(title: string, recipient: string): Locator {
    return this.notifications.filter({ hasText: title }).filter({ hasText: ` to ${recipient}` });
  }

  cardRequestDialog(options: { resend?: boolean } = {}): Locator {
    const title = options.resend ? 'Resend card request' : 'Send card request';
    return this.page.getByRole('dialog', { name: title });
  }

  /** Send Email (or Resend) → the dialog → Send; checks the dialog and the status line. */
  async sendCardRequest(options: { note?: string; resend?: boolean } = {}): Promise<void> {
    const { customer } = this;
    await this.action(options.resend ? 'Resend' : 'Send Email').click();
    const dialog = this.cardRequestDialog(options);
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText(`To: ${fullName(customer)} <${customer.email}>`);
    await expect(dialog).toContainText('The link will be valid for 7 days.');
    const note = dialog.getByLabel('Personal note (optional)', { exact: true });
    await expect(note).toBeVisible();
    if (options.note !== undefined) await note.fill(options.note);
    await expect(dialog.getByRole('button', { name: 'Cancel', exact: true })).toBeVisible();
    await dialog.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      this.actions.getByRole('status').filter({ hasText: `Card request sent to ${customer.email}.` }),
    ).toHaveText(/^Card request sent to \S+\. The link is valid until .+\.$/);
  }

  /** Sends a card request, sees it sent in Notifications, and returns the link from its email. */
  async sendCardRequestAndReadLink(mailbox: Mailbox, merchant: Merchant): Promise<string> {
    await this.sendCardRequest();
    await expect(this.notification('Card request', this.customer.email)).toHaveAttribute(
      'data-state',
      'sent',
    );
    return mailbox.waitForLink(this.customer.email, cardRequestSubject(merchant));
  }

  // ---- Payments ----

  /** The charge of Payments whose text has `text` (its amount, its description). */
  charge(text: string): Locator {
    return this.charges.filter({ hasText: text });
  }

  // ---- Bookings ----

  /** A booking in Bookings, by its title. */
  booking(title: string): Booking {
    return new Booking(this.bookings.getByRole('listitem', { name: title, exact: true }));
  }

  /** Actions → New booking → Create booking; returns the booking, checked to be listed. */
  async createBooking(booking: {
    title: string;
    startsAt: string;
    participants?: string;
    total: string;
  }): Promise<Booking> {
    const dialog = this.newBookingDialog;
    await this.action('New booking').click();
    await expect(dialog.root).toBeVisible();
    await dialog.fill(booking);
    await dialog.submit.click();
    await expect(dialog.root).toHaveCount(0);
    const item = this.booking(booking.title);
    await expect(item.root).toHaveCount(1);
    return item;
  }
}

/** Actions → Create Payment Option: the merchant types a card into Stripe's Payment Element. */
export class CreatePaymentOptionDialog {
  readonly button: Locator;
  readonly root: Locator;
  readonly saveCard: Locator;
  /** The dialog's error, once it has one. */
  readonly alert: Locator;
  private readonly paymentElement: PaymentElement;

  constructor(profile: ProfilePage) {
    this.button = profile.action('Create Payment Option');
    this.root = profile.page.getByRole('dialog', { name: 'Create Payment Option' });
    this.saveCard = this.root.getByRole('button', { name: 'Save card', exact: true });
    this.alert = this.root.getByRole('alert').filter({ hasText: /\S/ });
    this.paymentElement = new PaymentElement(this.root);
  }

  /** Opens the dialog and waits until the Payment Element takes a card. */
  async open(): Promise<void> {
    await this.button.click();
    await expect(this.root).toBeVisible();
    const frame = this.paymentElement.iframe;
    await expect(frame).toHaveCount(1);
    // Stripe's frame, from Stripe's origin: the card number never enters our page.
    expect(new URL((await frame.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
    await expect(this.saveCard).toBeEnabled();
  }
}

/** The Charge dialog, opened by Actions → Charge or by a booking's Charge balance. */
export class ChargeDialog {
  readonly root: Locator;
  readonly amount: Locator;
  readonly description: Locator;
  readonly card: Locator;
  /** The card the Card field has selected. */
  readonly selectedCard: Locator;
  readonly emailReceipt: Locator;
  readonly submit: Locator;
  /** "Charged $50.00 to Visa •••• 4242", "Waiting for the customer to confirm — …" */
  readonly status: Locator;
  readonly alert: Locator;
  readonly close: Locator;

  constructor(page: Page, name: 'Charge' | 'Charge balance') {
    this.root = page.getByRole('dialog', { name, exact: true });
    this.amount = this.root.getByLabel('Amount', { exact: true });
    this.description = this.root.getByLabel('Description', { exact: true });
    this.card = this.root.getByLabel('Card', { exact: true });
    this.selectedCard = this.card.locator('option:checked');
    this.emailReceipt = this.root.getByLabel('Email a receipt to the customer');
    this.submit = this.root.getByRole('button', { name: 'Charge', exact: true });
    this.status = this.root.getByRole('status');
    this.alert = this.root.getByRole('alert');
    this.close = this.root.getByRole('button', { name: 'Close', exact: true });
  }

  /** Fills Amount and Description and presses Charge. */
  async charge(charge: { amount: string; description: string }): Promise<void> {
    await this.amount.fill(charge.amount);
    await this.description.fill(charge.description);
    await this.submit.click();
  }
}

/** A charge's Refund. */
export class RefundDialog {
  readonly root: Locator;
  readonly amount: Locator;
  readonly reason: Locator;
  readonly submit: Locator;
  readonly status: Locator;
  readonly close: Locator;

  constructor(page: Page) {
    this.root = page.getByRole('dialog', { name: 'Refund' });
    this.amount = this.root.getByLabel('Amount', { exact: true });
    this.reason = this.root.getByLabel('Reason', { exact: true });
    this.submit = this.root.getByRole('button', { name: 'Refund', exact: true });
    this.status = this.root.getByRole('status');
    this.close = this.root.getByRole('button', { name: 'Close', exact: true });
  }
}

/** Actions → New booking. */
export class NewBookingDialog {
  readonly root: Locator;
  readonly what: Locator;
  readonly startsAt: Locator;
  readonly participants: Locator;
  readonly total: Locator;
  readonly card: Locator;
  readonly submit: Locator;

  constructor(page: Page) {
    this.root = page.getByRole('dialog', { name: 'New booking' });
    this.what = this.root.getByLabel('What', { exact: true });
    this.startsAt = this.root.getByLabel('Date and time', { exact: true });
    this.participants = this.root.getByLabel('Participants', { exact: true });
    this.total = this.root.getByLabel('Total', { exact: true });
    this.card = this.root.getByLabel('Card', { exact: true });
    this.submit = this.root.getByRole('button', { name: 'Create booking', exact: true });
  }

  /** Fills the fields that are given. */
  async fill(booking: { title: string; startsAt: string; participants?: string; total: string }) {
    await this.what.fill(booking.title);
    await this.startsAt.fill(booking.startsAt);
    if (booking.participants !== undefined) await this.participants.fill(booking.participants);
    await this.total.fill(booking.total);
  }
}

/** One booking of the profile's Bookings. */
export class Booking {
  readonly status: Locator;
  readonly chargeBalance: Locator;

  constructor(readonly root: Locator) {
    this.status = root.locator('.booking-status');
    this.chargeBalance = root.getByRole('button', { name: 'Charge balance', exact: true });
  }

  /** The amount shown beside "Total", "Paid" or "Balance". */
  money(term: 'Total' | 'Paid' | 'Balance'): Locator {
    return this.root.locator(`dt:text-is("${term}") + dd`);
  }
}
