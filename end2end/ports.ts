// Ports of the browser tests' own servers, chosen so that `make run` (app 3000, SMTP 1025,
// mailbox 1080) can run at the same time.
export const appPort = 3100;
export const smtpPort = 1026;
export const mailboxPort = 1081;
/** The app's in-process Stripe emulator, on a fixed port so specs can reach its API and Stripe.js. */
export const stripeEmulatorPort = 12112;

export const baseURL = `http://127.0.0.1:${appPort}`;
/** maildev's web UI and REST API (GET /api/email lists the messages). */
export const mailboxURL = `http://127.0.0.1:${mailboxPort}`;
/** The Stripe emulator: its REST API under /v1, the emulated Stripe.js at /v3/. */
export const stripeEmulatorURL = `http://127.0.0.1:${stripeEmulatorPort}`;
