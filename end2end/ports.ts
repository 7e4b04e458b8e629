// Ports of the browser tests' own servers, chosen so that `make run` (app 3000, SMTP 1025,
// mailbox 1080) can run at the same time. `make bench` points its page-weight run at its own
// servers (3200, 1027, 1082, 12113) through the E2E_*_PORT variables.
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const appPort = port('E2E_APP_PORT', 3100);
export const smtpPort = port('E2E_SMTP_PORT', 1026);
export const mailboxPort = port('E2E_MAILBOX_PORT', 1081);
/** The app's in-process Stripe emulator, on a fixed port so specs can reach its API and Stripe.js. */
export const stripeEmulatorPort = port('E2E_STRIPE_EMULATOR_PORT', 12112);

export const baseURL = `http://127.0.0.1:${appPort}`;
/** maildev's web UI and REST API (GET /api/email lists the messages). */
export const mailboxURL = `http://127.0.0.1:${mailboxPort}`;
/** The Stripe emulator: its REST API under /v1, the emulated Stripe.js at /v3/. */
export const stripeEmulatorURL = `http://127.0.0.1:${stripeEmulatorPort}`;
