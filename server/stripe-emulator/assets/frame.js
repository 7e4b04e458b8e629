/*
 * Shared by the emulator's frames (payment element, 3-D Secure challenge, controller): the
 * message channel to the host page and calls to the emulator's API, which is this frame's own
 * origin. The host page passes `channel`, `origin` (its own origin) and `key` (the publishable
 * key) in the URL fragment.
 */
'use strict';

const StripeFrame = (() => {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const channel = params.get('channel') || '';
  const hostOrigin = params.get('origin') || '';
  const key = params.get('key') || '';
  const handlers = {};

  /** Posts to the host page, and to it only. */
  function post(msg) {
    if (window.parent === window || !hostOrigin) return;
    window.parent.postMessage({ ...msg, __stripeEmulator: 1, channel }, hostOrigin === 'null' ? '*' : hostOrigin);
  }

  window.addEventListener('message', async (event) => {
    // Only the page that framed us, from the origin it announced, on our channel.
    if (event.source !== window.parent || event.origin !== hostOrigin) return;
    const msg = event.data;
    if (!msg || typeof msg !== 'object' || msg.__stripeEmulator !== 1 || msg.channel !== channel) return;
    if (msg.type === 'request') {
      const handler = handlers[msg.action];
      let result;
      try {
        result = handler
          ? await handler(msg.payload || {})
          : { error: { type: 'invalid_request_error', message: `Unsupported request: ${msg.action}` } };
      } catch (err) {
        result = { error: { type: 'api_connection_error', message: `An error occurred with our connection to Stripe. (${err && err.message})` } };
      }
      post({ type: 'response', id: msg.id, result });
    } else if (handlers[msg.type]) {
      handlers[msg.type](msg);
    }
  });

  /** Stripe's form encoding: `a[b][0]=v`. `undefined`/`null` values are left out. */
  function encode(obj) {
    const out = new URLSearchParams();
    const walk = (value, name) => {
      if (value === undefined || value === null) return;
      if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${name}[${i}]`));
      else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, name ? `${name}[${k}]` : k);
      else out.append(name, String(value));
    };
    walk(obj, '');
    return out.toString();
  }

  /** Calls the emulator's API with the publishable key; resolves with the JSON and the status. */
  async function api(method, path, form) {
    const query = method === 'GET' && form ? `?${encode(form)}` : '';
    const init = { method, headers: {}, credentials: 'omit', cache: 'no-store' };
    if (key) init.headers.Authorization = `Bearer ${key}`;
    if (method !== 'GET') {
      init.headers['Content-Type'] = 'application/x-www-form-urlencoded';
      init.body = encode(form || {});
    }
    let response;
    try {
      response = await fetch(`${path}${query}`, init);
    } catch (err) {
      return { ok: false, status: 0, json: { error: { type: 'api_connection_error', message: 'An error occurred with our connection to Stripe.' } } };
    }
    let json = null;
    try {
      json = await response.json();
    } catch (err) {
      json = { error: { type: 'api_error', message: `Unexpected response from Stripe (HTTP ${response.status}).` } };
    }
    return { ok: response.ok, status: response.status, json };
  }

  /** `seti_…_secret_…` → `seti_…` */
  function intentId(clientSecret) {
    return String(clientSecret).split('_secret_')[0];
  }

  function path(kind, id) {
    return `/v1/${kind}s/${encodeURIComponent(id)}`;
  }

  /** `{intent}` or `{error}` from an API response. */
  function asIntent(res) {
    return res.ok ? { intent: res.json } : { error: (res.json && res.json.error) || { type: 'api_error', message: 'Unknown error.' } };
  }

  /** GET /v1/{setup,payment}_intents/{id}?client_secret=… */
  async function retrieve(kind, clientSecret) {
    return asIntent(await api('GET', path(kind, intentId(clientSecret)), { client_secret: clientSecret }));
  }

  /**
   * POST /v1/{setup,payment}_intents/{id}/confirm as Stripe.js sends it: the client secret,
   * `use_stripe_sdk=true` (so 3-D Secure comes back as a `use_stripe_sdk` next action handled in
   * the page rather than a redirect), and the confirmParams.
   */
  async function confirm(kind, clientSecret, params) {
    const form = { ...params, client_secret: clientSecret, use_stripe_sdk: 'true' };
    return asIntent(await api('POST', `${path(kind, intentId(clientSecret))}/confirm`, form));
  }

  return { params, post, api, encode, retrieve, confirm, intentId, path, handlers, key };
})();
