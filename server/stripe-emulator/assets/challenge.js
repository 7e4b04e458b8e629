/*
 * The 3-D Secure challenge, standing in for the card issuer's page like Stripe's "3D Secure 2
 * Test Page". Two ways in:
 *  - framed by Stripe.js (modal iframe; intent, client secret and channel in the fragment): the
 *    outcome goes back to the host page as `{intent}` or `{error}`;
 *  - opened by a `redirect_to_url` next action (`/emulator/3ds/{intent}?client_secret=…&return_url=…`):
 *    the browser then goes to `return_url` with Stripe's query parameters.
 * Complete / Fail call `POST /emulator/authenticate/{intent}` (client secret + outcome).
 */
'use strict';

(() => {
  const hash = StripeFrame.params;
  const query = new URLSearchParams(window.location.search);
  const framed = hash.has('channel');
  const clientSecret = (framed ? hash.get('client_secret') : query.get('client_secret')) || '';
  const intentId = framed
    ? hash.get('intent') || StripeFrame.intentId(clientSecret)
    : decodeURIComponent(window.location.pathname.split('/').filter(Boolean).pop() || '');
  const kind = intentId.startsWith('seti_') ? 'setup_intent' : 'payment_intent';
  const returnUrl = query.get('return_url');
  const buttons = Array.from(document.querySelectorAll('button[data-outcome]'));
  const status = document.getElementById('status');

  function describe(intent) {
    if (kind === 'setup_intent') return 'Save card for future payments';
    if (typeof intent.amount !== 'number' || !intent.currency) return '';
    try {
      const currency = intent.currency.toUpperCase();
      const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits;
      const amount = new Intl.NumberFormat('en', { style: 'currency', currency }).format(intent.amount / 10 ** digits);
      return `Payment of ${amount}`;
    } catch (err) {
      return '';
    }
  }

  async function authenticate(outcome) {
    for (const b of buttons) b.disabled = true;
    status.textContent = 'Authenticating…';
    const res = await StripeFrame.api('POST', `/emulator/authenticate/${encodeURIComponent(intentId)}`, {
      client_secret: clientSecret,
      outcome,
    });
    const result = res.ok ? { intent: res.json } : { error: (res.json && res.json.error) || { type: 'api_error', message: 'Authentication failed.' } };
    if (framed) {
      StripeFrame.post({ type: 'result', result });
      return;
    }
    if (returnUrl && result.intent) {
      const url = new URL(returnUrl, window.location.href);
      url.searchParams.set(kind, intentId);
      url.searchParams.set(`${kind}_client_secret`, clientSecret);
      url.searchParams.set('redirect_status', result.intent.status === 'requires_payment_method' ? 'failed' : result.intent.status);
      window.location.assign(url.toString());
      return;
    }
    status.textContent = result.error ? result.error.message : `Authentication ${outcome === 'complete' ? 'completed' : 'failed'}.`;
  }

  for (const button of buttons) {
    button.addEventListener('click', () => authenticate(button.dataset.outcome));
    button.disabled = false;
  }

  // What is being authenticated (needs the publishable key, which only Stripe.js passes).
  if (StripeFrame.key && clientSecret) {
    StripeFrame.retrieve(kind, clientSecret).then((r) => {
      if (r.intent) document.getElementById('detail').textContent = describe(r.intent);
    });
  }

  if (framed) StripeFrame.post({ type: 'ready' });
})();
