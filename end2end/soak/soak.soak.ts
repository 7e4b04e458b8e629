import { test, expect, request as newRequest, type APIRequestContext } from '@playwright/test';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appPort, baseURL, mailboxURL, stripeEmulatorURL } from '../ports';

// RELIABILITY R20, the soak: the release server (SQLite, the Stripe emulator in a process of its
// own, maildev) under the
// whole product's traffic — customers created, card requests emailed, links opened, cards saved
// at "Stripe" (whose webhooks flow back), charges with receipts, partial refunds — first flat out
// to find what it sustains, then for SOAK_MINUTES (default 2) at half that. It fails on any 5xx or
// a failed flow, when emails lag more than 60 s (p99), or when the server's RSS grows 10 % or more
// over the second half (the first half warms pools, caches and the allocator); it prints the
// figures.

const minutes = Number(process.env.SOAK_MINUTES ?? '2');
const measureSeconds = Number(process.env.SOAK_MEASURE_SECONDS ?? '30');
/** Flows at once while measuring the maximum. */
const measureConcurrency = Number(process.env.SOAK_CONCURRENCY ?? '8');

test.setTimeout((minutes * 60 + measureSeconds + 240) * 1000);

interface Figures {
  requests: number;
  serverErrors: string[];
  failedFlows: string[];
  flowsDone: number;
  /** Milliseconds from Send Email's answer to the email in the mailbox, per card request. */
  emailLags: number[];
  /** Failed reads of the soak's mailbox (maildev), retried. */
  mailboxErrors: string[];
}

const figures: Figures = { requests: 0, serverErrors: [], failedFlows: [], flowsDone: 0, emailLags: [], mailboxErrors: [] };

/** Calls a server function as the app's own client does (form-encoded), counting every 5xx. */
async function call<T>(api: APIRequestContext, endpoint: string, form: Record<string, string>): Promise<T> {
  figures.requests += 1;
  const response = await api.post(`${baseURL}/api/${endpoint}`, { form });
  if (response.status() >= 500) figures.serverErrors.push(`${endpoint}: ${response.status()}`);
  const body = await response.text();
  if (!response.ok()) throw new Error(`${endpoint} answered ${response.status()}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as T;
}

/**
 * The mailbox, read by one poller for every flow: maildev lists every message on each read, so
 * each message is taken (and deleted) once, and a flow waits for the one to its address.
 */
class MailWatch {
  private waiting = new Map<string, (text: string) => void>();
  private arrived = new Map<string, string>();
  private running = true;

  constructor(private readonly api: APIRequestContext) {}

  start(): Promise<void> {
    return (async () => {
      while (this.running) {
        try {
          await this.takeAll();
        } catch (error) {
          // maildev is the soak's stand-in inbox, not the product: a reset read is counted and
          // retried, and only an email that never arrives fails its flow.
          figures.mailboxErrors.push(String(error).slice(0, 200));
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    })();
  }

  private async takeAll(): Promise<void> {
    const response = await this.api.get(`${mailboxURL}/api/email`);
    const messages = (await response.json()) as { id: string; to: { address: string }[]; text: string }[];
    const taken: Promise<unknown>[] = [];
    for (const message of messages) {
      const to = message.to?.[0]?.address?.toLowerCase() ?? '';
      const waiter = this.waiting.get(to);
      if (waiter) {
        this.waiting.delete(to);
        waiter(message.text);
      } else {
        this.arrived.set(to, message.text);
      }
      taken.push(this.api.delete(`${mailboxURL}/api/email/${message.id}`));
    }
    // Deleted all at once: one by one, the poller itself fell behind a busy mailbox (the server
    // had sent every email within seconds while flows waited minutes for theirs).
    await Promise.all(taken);
    if (messages.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  stop() {
    this.running = false;
  }

  /** The text of the next email to `address` (addresses are unique per flow). */
  next(address: string): Promise<string> {
    const key = address.toLowerCase();
    const already = this.arrived.get(key);
    if (already !== undefined) {
      this.arrived.delete(key);
      return Promise.resolve(already);
    }
    return new Promise((resolve, reject) => {
      this.waiting.set(key, resolve);
      setTimeout(() => reject(new Error(`no email to ${address} within 120 s`)), 120_000);
    });
  }
}

function linkIn(text: string, path: string): string {
  const match = text.match(new RegExp(`${baseURL.replace(/[.]/g, '\\.')}${path}[A-Za-z0-9_-]+`));
  if (!match) throw new Error(`no ${path} link in: ${text.slice(0, 300)}`);
  return match[0];
}

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-${Date.now()}`;
}

/** One customer's whole story, from the merchant's Send Email to a partial refund. */
async function flow(merchant: APIRequestContext, mail: MailWatch) {
  const email = `${unique('soak')}@example.com`;
  const customer = await call<{ id: string }>(merchant, 'create_customer', {
    first_name: 'Soak',
    last_name: 'Guest',
    email,
    phone: '',
    notes: '',
  });
  await call(merchant, 'send_card_request', { customer_id: customer.id, note: '' });
  const sent = Date.now();
  const text = await mail.next(email);
  figures.emailLags.push(Date.now() - sent);
  const link = linkIn(text, '/pay/');

  const browser = await newRequest.newContext({ maxRedirects: 0 });
  try {
    figures.requests += 1;
    const opened = await browser.get(link, { maxRedirects: 0 });
    if (opened.status() >= 500) figures.serverErrors.push(`GET /pay/…: ${opened.status()}`);
    expect(opened.status(), 'the link opens').toBe(303);
    const page = await call<{ setup: { client_secret: string; publishable_key: string } }>(
      browser,
      'load_card_page',
      {},
    );
    const intent = page.setup.client_secret.split('_secret_')[0];
    const confirmed = await browser.post(`${stripeEmulatorURL}/v1/setup_intents/${intent}/confirm`, {
      headers: { authorization: `Basic ${Buffer.from(`${page.setup.publishable_key}:`).toString('base64')}` },
      form: { client_secret: page.setup.client_secret, payment_method: 'pm_card_visa' },
    });
    expect(confirmed.status(), 'Stripe confirms the card').toBe(200);
    await call(browser, 'complete_card_setup', {});
  } finally {
    await browser.dispose();
  }

  // Its card fields sit at the top of the answer (flattened).
  const payments = await call<{ payment_options: { id: string }[] }>(merchant, 'get_customer_payments', {
    customer_id: customer.id,
  });
  const card = payments.payment_options[0].id;
  const charge = await call<{ id: string; status: string }>(merchant, 'charge_payment_option', {
    customer_id: customer.id,
    payment_option_id: card,
    amount: '42.50',
    description: 'Sunset kayak tour',
    booking_id: '',
    request_key: unique('charge'),
    send_receipt: 'on',
  });
  expect(charge.status, 'the charge succeeds').toBe('succeeded');
  await call(merchant, 'refund_charge', {
    charge_id: charge.id,
    amount: '10',
    reason: 'Rain',
    request_key: unique('refund'),
  });
  figures.flowsDone += 1;
}

async function guarded(merchant: APIRequestContext, mail: MailWatch) {
  try {
    await flow(merchant, mail);
  } catch (error) {
    figures.failedFlows.push(String(error).slice(0, 300));
  }
}

/** The resident memory of the server listening on the app's port (`ss` names its pid). */
function serverRssKb(): number {
  const listening = execSync(`ss -ltnpH 'sport = :${appPort}'`).toString();
  const pid = listening.match(/pid=(\d+)/)?.[1];
  if (!pid) throw new Error(`no process listens on ${appPort}: ${listening}`);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? '0');
}

function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
}

test('the product under half its measured maximum load', async ({ playwright }) => {
  const merchant = await playwright.request.newContext();
  const mailApi = await playwright.request.newContext();
  const mail = new MailWatch(mailApi);
  const polling = mail.start();

  // A merchant of its own, confirmed from the email like anyone, connected to demo Stripe.
  const owner = `${unique('soak-owner')}@example.com`;
  await call(merchant, 'sign_up', {
    business_name: 'Soak Tours',
    name: 'Soak Owner',
    email: owner,
    password: 'correct horse battery staple',
  });
  const confirmation = linkIn(await mail.next(owner), '/confirm-email/');
  expect((await merchant.get(confirmation)).status()).toBeLessThan(400);
  await call(merchant, 'connect_demo_stripe', {});

  // Flat out: what it sustains.
  const measureUntil = Date.now() + measureSeconds * 1000;
  await Promise.all(
    Array.from({ length: measureConcurrency }, async () => {
      while (Date.now() < measureUntil) await guarded(merchant, mail);
    }),
  );
  const maxPerSecond = figures.flowsDone / measureSeconds;
  expect(maxPerSecond, `flows completed while measuring (${figures.failedFlows.slice(0, 3).join(' | ')})`).toBeGreaterThan(
    0,
  );

  // Half of it, as an open arrival rate, for the soak's minutes.
  const rate = maxPerSecond / 2;
  const rssStart = serverRssKb();
  const before = { ...figures, emailLags: figures.emailLags.length };
  const soakStart = Date.now();
  const soakUntil = soakStart + minutes * 60_000;
  // RSS once the first half is over (warm-up: pools, caches and the allocator's arenas filled),
  // then at the end: what a leak would show as growth.
  let rssHalfway: number | undefined;
  const running: Promise<void>[] = [];
  for (let next = Date.now(); next < soakUntil; next += 1000 / rate) {
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (rssHalfway === undefined && Date.now() >= soakStart + (soakUntil - soakStart) / 2) {
      rssHalfway = serverRssKb();
    }
    running.push(guarded(merchant, mail));
  }
  await Promise.all(running);
  const rssEnd = serverRssKb();
  const halfway = rssHalfway ?? rssStart;
  const secondHalfGrowth = (rssEnd - halfway) / halfway;
  mail.stop();
  await polling;

  const soakLags = figures.emailLags.slice(before.emailLags);
  const report = [
    `soak: measured maximum ${maxPerSecond.toFixed(2)} flows/s (${measureConcurrency} at once, ${measureSeconds} s)`,
    `soak: ${minutes} min at ${rate.toFixed(2)} flows/s: ${figures.flowsDone - before.flowsDone} flows, ${figures.requests - before.requests} requests`,
    `soak: 5xx ${figures.serverErrors.length}, failed flows ${figures.failedFlows.length}, mailbox reads retried ${figures.mailboxErrors.length}`,
    `soak: email lag p99 ${(p99(soakLags) / 1000).toFixed(2)} s (max ${(Math.max(0, ...soakLags) / 1000).toFixed(2)} s)`,
    `soak: server RSS ${(rssStart / 1024).toFixed(1)} MiB at start, ${(halfway / 1024).toFixed(1)} MiB halfway, ${(rssEnd / 1024).toFixed(1)} MiB at end (second half ${(secondHalfGrowth * 100).toFixed(1)} %)`,
  ];
  console.log(report.join('\n'));
  expect(figures.serverErrors, 'no 5xx').toEqual([]);
  expect(figures.failedFlows, 'every flow completed').toEqual([]);
  expect(p99(soakLags), 'email lag p99 under 60 s').toBeLessThan(60_000);
  expect(secondHalfGrowth, 'RSS grows less than 10 % over the second half').toBeLessThan(0.1);
  await merchant.dispose();
  await mailApi.dispose();
});
