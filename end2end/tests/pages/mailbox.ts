import { expect, type APIRequestContext } from '@playwright/test';
import { baseURL, mailboxURL } from '../../ports';

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
 * maildev's REST API (GET /api/email). Every spec shares the one mailbox, so messages are told
 * apart by their recipient, never cleared.
 */
export class Mailbox {
  constructor(private readonly request: APIRequestContext) {}

  /** The messages maildev holds for `address`, in arrival order. */
  async emailsTo(address: string): Promise<MailMessage[]> {
    const response = await this.request.get(`${mailboxURL}/api/email`);
    expect(response.ok(), `maildev answered ${response.status()}`).toBe(true);
    const messages = (await response.json()) as MailMessage[];
    const wanted = address.toLowerCase();
    return messages.filter((message) =>
      (message.to ?? []).some((to) => to.address.toLowerCase() === wanted),
    );
  }

  /**
   * Waits until `address` has at least `count` messages whose subject is `subject` (or matches
   * it) and returns them, oldest first.
   */
  async waitForEmails(address: string, subject: string | RegExp, count = 1): Promise<MailMessage[]> {
    const wanted = (message: MailMessage) =>
      typeof subject === 'string' ? message.subject === subject : subject.test(message.subject);
    let found: MailMessage[] = [];
    await expect
      .poll(
        async () => {
          found = (await this.emailsTo(address)).filter(wanted);
          return found.length;
        },
        { message: `${count} email(s) with the subject ${subject} to ${address}`, timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(count);
    return found.sort((a, b) => new Date(a.time).getTime() - new Date(b.time).getTime());
  }

  /** Waits for an email to `address` with `subject` and returns the newest such. */
  async waitForEmail(address: string, subject: string | RegExp): Promise<MailMessage> {
    return (await this.waitForEmails(address, subject)).at(-1)!;
  }

  /** Waits for the email asking `address` to confirm it and returns the link in it. */
  async waitForConfirmationLink(address: string): Promise<string> {
    return confirmationLinkIn(await this.waitForEmail(address, CONFIRMATION_SUBJECT));
  }

  /** Waits for an email to `address` with `subject` and returns the card link in it. */
  async waitForLink(address: string, subject: string | RegExp): Promise<string> {
    return linkIn(await this.waitForEmail(address, subject));
  }
}

/** The card link in an email's text: `<baseURL>/pay/<43-character token>`. */
export function linkIn(email: Pick<MailMessage, 'text'>): string {
  const escaped = baseURL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = email.text.match(new RegExp(`${escaped}/pay/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`));
  expect(match, `a card link in:\n${email.text}`).not.toBeNull();
  return match![0];
}

/** The subject of the email that asks a new merchant to confirm their address. */
export const CONFIRMATION_SUBJECT = 'Confirm your email address for Card on File';

/** The confirmation link in an email's text: `<baseURL>/confirm-email/<43-character token>`. */
export function confirmationLinkIn(email: Pick<MailMessage, 'text'>): string {
  const escaped = baseURL.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = email.text.match(
    new RegExp(`${escaped}/confirm-email/([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`),
  );
  expect(match, `a confirmation link in:\n${email.text}`).not.toBeNull();
  return match![0];
}

/** The subject of a card request from `business`. */
export function cardRequestSubject(merchant: { business: string }): string {
  return `${merchant.business} asks you to add a card`;
}
