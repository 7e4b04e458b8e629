/*!
 * Stripe.js, emulated: the subset of https://js.stripe.com/v3/ that Card on File uses, served at
 * /v3/ by the Stripe emulator (demo mode and tests only). Same names, arguments and promise
 * results as Stripe.js (https://docs.stripe.com/js).
 *
 * As with Stripe.js, card details are typed into an iframe of the emulator's origin titled
 * "Secure payment input frame"; the card number never enters the host page. This script, which
 * runs in the host page, asks its frames (postMessage, one channel id per frame, checking
 * event.origin and event.source) to create the PaymentMethod and confirm the intent; the frames
 * call the emulator's API themselves (same origin) and post back only the intent JSON or the
 * error. 3-D Secure challenges open in a modal iframe of the emulator's origin, like Stripe's.
 */
(function () {
  'use strict';

  // Loaded twice: keep the first instance, as Stripe.js does.
  if (window.Stripe && window.Stripe.__emulated) return;

  // The emulator's origin, learned from this script's own URL.
  const ORIGIN = (function () {
    const current = document.currentScript;
    if (current && current.src) return new URL(current.src).origin;
    const tag = Array.from(document.scripts).find((s) => /\/v3\/?(\?.*)?$/.test(s.src));
    if (tag) return new URL(tag.src).origin;
    throw new Error('Stripe emulator: cannot tell where /v3/ was loaded from.');
  })();

  const HOST_ORIGIN = window.location.origin;
  const AUTH_FAILURE_MESSAGE =
    'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

  /** Stripe.js reports misuse with errors named IntegrationError. */
  class IntegrationError extends Error {
    constructor(message) {
      super(message);
      this.name = 'IntegrationError';
    }
  }

  function randomId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  let frameCount = 0;
  function frameName() {
    return `__privateStripeFrame${(frameCount += 1)}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Frames: every iframe of the emulator's origin is reached through a FrameConnection.

  /** channel id → FrameConnection */
  const connections = new Map();

  window.addEventListener('message', (event) => {
    if (event.origin !== ORIGIN) return;
    const msg = event.data;
    if (!msg || typeof msg !== 'object' || msg.__stripeEmulator !== 1) return;
    const conn = connections.get(msg.channel);
    // Only the frame this channel was given to may speak on it.
    if (!conn || !conn.iframe.contentWindow || event.source !== conn.iframe.contentWindow) return;
    conn.receive(msg);
  });

  class FrameConnection {
    /**
     * @param {string} path page of the emulator (`/elements/payment-frame`…)
     * @param {Record<string, string>} params passed in the URL's fragment (never sent to a server)
     * @param {(msg: object) => void} onEvent frame events other than ready/response
     */
    constructor(path, params, onEvent) {
      this.channel = randomId();
      this.onEvent = onEvent;
      this.pending = new Map();
      this.nextId = 1;
      this.ready = new Promise((resolve) => {
        this.resolveReady = resolve;
      });
      this.iframe = document.createElement('iframe');
      this.iframe.name = frameName();
      this.iframe.setAttribute('frameborder', '0');
      this.iframe.setAttribute('allowtransparency', 'true');
      this.iframe.setAttribute('scrolling', 'no');
      this.iframe.setAttribute('allow', 'payment *');
      const fragment = new URLSearchParams({ ...params, channel: this.channel, origin: HOST_ORIGIN });
      connections.set(this.channel, this);
      this.iframe.src = `${ORIGIN}${path}#${fragment}`;
    }

    receive(msg) {
      if (msg.type === 'ready') {
        this.resolveReady();
        this.onEvent(msg);
      } else if (msg.type === 'response') {
        const resolve = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (resolve) resolve(msg.result);
      } else {
        this.onEvent(msg);
      }
    }

    post(msg) {
      const target = this.iframe.contentWindow;
      if (target) target.postMessage({ ...msg, __stripeEmulator: 1, channel: this.channel }, ORIGIN);
    }

    /** Sends a request once the frame is ready; resolves with the frame's result object. */
    async request(action, payload) {
      if (!this.iframe.isConnected) {
        return { error: { type: 'invalid_request_error', message: 'The Element is no longer in the page: mount it again.' } };
      }
      await this.ready;
      return new Promise((resolve) => {
        const id = this.nextId++;
        this.pending.set(id, resolve);
        this.post({ type: 'request', id, action, payload });
      });
    }

    close() {
      connections.delete(this.channel);
      for (const resolve of this.pending.values()) {
        resolve({
          error: {
            type: 'invalid_request_error',
            message: 'The Element was unmounted or destroyed before the request completed.',
          },
        });
      }
      this.pending.clear();
      this.iframe.remove();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Intents

  function intentKind(clientSecret) {
    if (typeof clientSecret !== 'string') return null;
    if (/^seti_[^_]+_secret_/.test(clientSecret)) return 'setup_intent';
    if (/^pi_[^_]+_secret_/.test(clientSecret)) return 'payment_intent';
    return null;
  }

  /** `setup_intent` → `setupIntent`, the key of Stripe.js results. */
  function resultKey(kind) {
    return kind === 'setup_intent' ? 'setupIntent' : 'paymentIntent';
  }

  function checkSecret(method, clientSecret, kind) {
    const label = kind === 'setup_intent' ? 'SetupIntent' : 'PaymentIntent';
    if (typeof clientSecret !== 'string' || !clientSecret) {
      throw new IntegrationError(`${method}: the \`clientSecret\` of a ${label} is required.`);
    }
    if (intentKind(clientSecret) !== kind) {
      throw new IntegrationError(
        `Invalid value for ${method}: clientSecret should be a client secret of the form \${id}_secret_\${secret}. You specified: ${clientSecret}.`,
      );
    }
  }

  /** The error an intent's last failure stands for, with the intent embedded as Stripe.js does. */
  function intentError(kind, intent) {
    const last = kind === 'setup_intent' ? intent.last_setup_error : intent.last_payment_error;
    const error = last
      ? { ...last }
      : { type: 'invalid_request_error', code: `${kind}_unexpected_state`, message: `The ${kind.replace('_', ' ')} failed.` };
    error[kind] = intent;
    return error;
  }

  /**
   * Stripe.js's answer when the customer fails (or abandons) a 3-D Secure challenge: the intent's
   * last error, worded for the customer as Stripe.js words it, with the intent embedded.
   */
  function authenticationFailure(kind, intent) {
    const last = intent && (kind === 'setup_intent' ? intent.last_setup_error : intent.last_payment_error);
    const error = {
      ...(last || {}),
      type: 'invalid_request_error',
      code: `${kind}_authentication_failure`,
      message: AUTH_FAILURE_MESSAGE,
    };
    if (intent) error[kind] = intent;
    return error;
  }

  /** Sends the browser to `return_url` with the query parameters Stripe.js adds. */
  function redirectTo(returnUrl, kind, intent, clientSecret) {
    const url = new URL(returnUrl, window.location.href);
    url.searchParams.set(kind, intent.id);
    url.searchParams.set(`${kind}_client_secret`, clientSecret);
    url.searchParams.set('redirect_status', intent.status === 'requires_payment_method' ? 'failed' : intent.status);
    window.location.assign(url.toString());
    // The page is going away: like Stripe.js, never resolve.
    return new Promise(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // Stripe()

  function Stripe(publishableKey, options) {
    if (!(this instanceof Stripe)) return new Stripe(publishableKey, options);
    if (typeof publishableKey !== 'string' || publishableKey === '') {
      throw new IntegrationError('Please call Stripe() with your publishable key. You used an empty string.');
    }
    if (/^sk_/.test(publishableKey) || /^rk_/.test(publishableKey)) {
      throw new IntegrationError('You should not use your secret key with Stripe.js.\nPlease pass a publishable key instead.');
    }
    if (!/^pk_(test|live)_/.test(publishableKey)) {
      throw new IntegrationError(`Invalid value for Stripe(): apiKey should be a publishable key (pk_test_…). You specified: ${publishableKey}.`);
    }
    const key = publishableKey;
    let controller = null;

    /**
     * The hidden controller frame (Stripe.js has one too) makes the API calls that need no card
     * details: retrieving intents and confirming with an existing PaymentMethod.
     */
    function controllerRequest(action, payload) {
      if (!controller) {
        controller = new FrameConnection('/elements/controller', { key }, () => {});
        const f = controller.iframe;
        f.setAttribute('aria-hidden', 'true');
        f.setAttribute('tabindex', '-1');
        f.style.cssText =
          'display:none !important;border:none !important;width:0 !important;height:0 !important;position:fixed !important;';
        document.body.appendChild(f);
      }
      return controller.request(action, payload);
    }

    /**
     * Shows the 3-D Secure challenge as a modal iframe of the emulator's origin; resolves with
     * `{intent}` (after Complete) or `{error}` (after Fail), as the challenge frame reports.
     */
    function challenge(kind, intent, clientSecret) {
      return new Promise((resolve) => {
        const overlay = document.createElement('div');
        overlay.setAttribute('data-stripe-emulator', 'challenge');
        overlay.style.cssText =
          'position:fixed !important;inset:0 !important;z-index:2147483647 !important;display:flex !important;' +
          'align-items:center !important;justify-content:center !important;background:rgba(0,0,0,0.45) !important;';
        let conn = null;
        conn = new FrameConnection(
          '/elements/challenge',
          { key, kind, intent: intent.id, client_secret: clientSecret },
          (msg) => {
            if (msg.type !== 'result') return;
            conn.close();
            overlay.remove();
            resolve(msg.result || {});
          },
        );
        const f = conn.iframe;
        f.title = '3D Secure challenge';
        f.style.cssText =
          'border:none !important;border-radius:8px !important;background:#fff !important;' +
          'width:min(480px, calc(100vw - 32px)) !important;height:min(520px, calc(100vh - 32px)) !important;' +
          'box-shadow:0 12px 48px rgba(0,0,0,0.35) !important;';
        overlay.appendChild(f);
        document.body.appendChild(overlay);
      });
    }

    /**
     * Finishes a confirmation from a frame's `{intent}` / `{error}` the way Stripe.js does:
     * handles 3-D Secure, turns a failed intent into `{error}`, redirects to `return_url` unless
     * `redirect: 'if_required'`, and resolves with `{setupIntent}` / `{paymentIntent}`.
     */
    async function settle(kind, result, clientSecret, redirect, returnUrl) {
      if (!result || result.error) return { error: (result && result.error) || { type: 'api_error', message: 'No response.' } };
      let intent = result.intent;
      if (intent.status === 'requires_action' && intent.next_action) {
        const action = intent.next_action;
        if (action.type === 'use_stripe_sdk') {
          const outcome = await challenge(kind, intent, clientSecret);
          if (outcome.error) return { error: outcome.error };
          intent = outcome.intent;
          if (intent.status === 'requires_payment_method') return { error: authenticationFailure(kind, intent) };
        } else if (action.type === 'redirect_to_url' && action.redirect_to_url) {
          window.location.assign(action.redirect_to_url.url);
          return new Promise(() => {});
        }
      }
      if (intent.status === 'requires_payment_method' || intent.status === 'canceled') {
        return { error: intentError(kind, intent) };
      }
      if (redirect !== 'if_required' && returnUrl) return redirectTo(returnUrl, kind, intent, clientSecret);
      return { [resultKey(kind)]: intent };
    }

    /** confirmSetup / confirmPayment */
    async function confirm(kind, method, options) {
      if (!options || typeof options !== 'object') {
        throw new IntegrationError(`${method}: expected an object with \`elements\` or \`clientSecret\`.`);
      }
      const { elements, confirmParams = {}, redirect = 'always' } = options;
      if (redirect !== 'always' && redirect !== 'if_required') {
        throw new IntegrationError(`Invalid value for ${method}: redirect should be one of the following strings: always, if_required. You specified: ${redirect}.`);
      }
      if (redirect === 'always' && !confirmParams.return_url) {
        throw new IntegrationError(`${method}: the \`confirmParams.return_url\` argument is required unless passing \`redirect: 'if_required'\``);
      }
      const group = elements ? groupOf(elements, method) : null;
      const clientSecret = options.clientSecret || (group && group.clientSecret);
      checkSecret(method, clientSecret, kind);
      const params = { ...confirmParams };
      let result;
      if (group) {
        const element = group.confirmable(method);
        result = await element.request('confirm', { kind, clientSecret, params });
      } else if (typeof params.payment_method === 'string') {
        result = await controllerRequest('confirm', { kind, clientSecret, params });
      } else {
        throw new IntegrationError(`${method}: the \`elements\` argument is required (or \`confirmParams.payment_method\`).`);
      }
      return settle(kind, result, clientSecret, redirect, confirmParams.return_url);
    }

    /** confirmCardSetup / confirmCardPayment: `data.payment_method` is `{card: element, billing_details}` or an id. */
    async function confirmCard(kind, method, clientSecret, data = {}, options = {}) {
      checkSecret(method, clientSecret, kind);
      const params = { ...data };
      const pm = params.payment_method;
      let result;
      if (pm && typeof pm === 'object' && pm.card && pm.card.__stripeEmulatorElement) {
        delete params.payment_method;
        if (pm.billing_details) params.payment_method_data = { billing_details: pm.billing_details };
        result = await pm.card.__stripeEmulatorElement.request('confirm', { kind, clientSecret, params });
      } else if (typeof pm === 'string') {
        result = await controllerRequest('confirm', { kind, clientSecret, params });
      } else {
        throw new IntegrationError(`${method}: \`payment_method\` should be {card: cardElement} or a PaymentMethod id.`);
      }
      if (options.handleActions === false && !result.error) return { [resultKey(kind)]: result.intent };
      return settle(kind, result, clientSecret, 'if_required', null);
    }

    async function retrieve(kind, method, clientSecret) {
      checkSecret(method, clientSecret, kind);
      const result = await controllerRequest('retrieve', { kind, clientSecret });
      return result.error ? { error: result.error } : { [resultKey(kind)]: result.intent };
    }

    const stripe = {
      elements(elementsOptions = {}) {
        return createElements(key, elementsOptions);
      },

      /** https://docs.stripe.com/js/setup_intents/confirm_setup */
      confirmSetup(options) {
        return confirm('setup_intent', 'stripe.confirmSetup()', options);
      },

      /** https://docs.stripe.com/js/payment_intents/confirm_payment */
      confirmPayment(options) {
        return confirm('payment_intent', 'stripe.confirmPayment()', options);
      },

      confirmCardSetup(clientSecret, data, options) {
        return confirmCard('setup_intent', 'stripe.confirmCardSetup()', clientSecret, data, options);
      },

      confirmCardPayment(clientSecret, data, options) {
        return confirmCard('payment_intent', 'stripe.confirmCardPayment()', clientSecret, data, options);
      },

      retrieveSetupIntent(clientSecret) {
        return retrieve('setup_intent', 'stripe.retrieveSetupIntent()', clientSecret);
      },

      retrievePaymentIntent(clientSecret) {
        return retrieve('payment_intent', 'stripe.retrievePaymentIntent()', clientSecret);
      },

      /**
       * https://docs.stripe.com/js/setup_intents/handle_next_action — for an intent in
       * `requires_action`; any other status is an error, as Stripe documents.
       */
      async handleNextAction(options) {
        const clientSecret = options && options.clientSecret;
        const kind = intentKind(clientSecret);
        if (!kind) throw new IntegrationError('stripe.handleNextAction(): a valid `clientSecret` is required.');
        const result = await controllerRequest('retrieve', { kind, clientSecret });
        if (result.error) return { error: result.error };
        const intent = result.intent;
        if (intent.status !== 'requires_action') {
          const label = kind === 'setup_intent' ? 'SetupIntent' : 'PaymentIntent';
          return {
            error: {
              type: 'invalid_request_error',
              code: `${kind}_unexpected_state`,
              message: `handleNextAction: The ${label} supplied does not require any action (status: ${intent.status}).`,
              [kind]: intent,
            },
          };
        }
        return settle(kind, result, clientSecret, 'if_required', null);
      },

      /** stripe.createPaymentMethod({elements, params}) or ({type: 'card', card: element, billing_details}). */
      async createPaymentMethod(options = {}) {
        let element = null;
        let billing = undefined;
        if (options.elements) {
          element = groupOf(options.elements, 'stripe.createPaymentMethod()').confirmable('stripe.createPaymentMethod()');
          billing = options.params && options.params.billing_details;
        } else if (options.card && options.card.__stripeEmulatorElement) {
          element = options.card.__stripeEmulatorElement;
          billing = options.billing_details;
        } else {
          throw new IntegrationError('stripe.createPaymentMethod(): pass `elements` or `{type: "card", card: element}`.');
        }
        const result = await element.request('createPaymentMethod', { billing_details: billing });
        return result.error ? { error: result.error } : { paymentMethod: result.paymentMethod };
      },
    };
    Object.defineProperty(stripe, '_apiKey', { value: key });
    return stripe;
  }

  Stripe.version = 3;
  Object.defineProperty(Stripe, '__emulated', { value: true });

  // ---------------------------------------------------------------------------------------------
  // Elements

  const GROUPS = new WeakMap(); // public elements object → internal group

  function groupOf(elements, method) {
    const group = GROUPS.get(elements);
    if (!group) throw new IntegrationError(`${method}: \`elements\` should be an Elements group created by stripe.elements().`);
    return group;
  }

  function createElements(key, options) {
    const group = {
      key,
      clientSecret: options.clientSecret || null,
      options: { ...options },
      /** type → internal element */
      elements: new Map(),
      /** The mounted Payment (or Card) Element that holds the card details. */
      confirmable(method) {
        const element = group.elements.get('payment') || group.elements.get('card');
        if (!element || !element.conn) {
          throw new IntegrationError(`${method}: elements should have a mounted Payment Element.`);
        }
        return element;
      },
    };
    if (options.clientSecret !== undefined && !intentKind(options.clientSecret)) {
      throw new IntegrationError(
        `Invalid value for elements(): clientSecret should be a client secret of the form \${id}_secret_\${secret}. You specified: ${options.clientSecret}.`,
      );
    }

    const elements = {
      /** https://docs.stripe.com/js/elements_object/create_element */
      create(type, elementOptions = {}) {
        if (type !== 'payment' && type !== 'card') {
          throw new IntegrationError(`The emulated Stripe.js supports the 'payment' and 'card' Elements only, not '${type}'.`);
        }
        if (group.elements.has(type)) throw new IntegrationError(`Can only create one Element of type ${type}.`);
        if (type === 'payment' && !group.clientSecret && !group.options.mode) {
          throw new IntegrationError(
            'In order to create a payment element, you must pass a valid PaymentIntent or SetupIntent client secret when creating the Elements group.\n\n  e.g. stripe.elements({clientSecret: "{{CLIENT_SECRET}}"})',
          );
        }
        const element = createElement(group, type, elementOptions);
        group.elements.set(type, element);
        return element.api;
      },

      getElement(type) {
        const element = group.elements.get(type);
        return element ? element.api : null;
      },

      /** Validates the form and shows its errors: `{}` or `{error}` (a validation_error). */
      async submit() {
        const element = group.elements.get('payment') || group.elements.get('card');
        if (!element || !element.conn) {
          throw new IntegrationError('elements.submit(): elements should have a mounted Payment Element.');
        }
        const result = await element.request('validate', {});
        return result.error ? { error: result.error } : {};
      },

      update(newOptions = {}) {
        Object.assign(group.options, newOptions);
        if (newOptions.appearance) {
          for (const element of group.elements.values()) element.post({ type: 'update', options: { appearance: newOptions.appearance } });
        }
      },

      fetchUpdates() {
        return Promise.resolve({});
      },
    };
    GROUPS.set(elements, group);
    return elements;
  }

  const EVENTS = ['ready', 'change', 'focus', 'blur', 'escape', 'loaderror', 'loaderstart'];

  function createElement(group, type, options) {
    const handlers = new Map(EVENTS.map((e) => [e, []]));
    const state = { destroyed: false, container: null, wrapper: null };

    function emit(name, payload) {
      for (const handler of [...handlers.get(name)]) {
        try {
          handler(payload);
        } catch (err) {
          setTimeout(() => {
            throw err;
          });
        }
      }
    }

    // StripeElement--… classes on the container, as Stripe.js sets them.
    function setClass(name, on) {
      if (state.container) state.container.classList.toggle(`StripeElement--${name}`, on);
    }

    function onFrameEvent(msg) {
      switch (msg.type) {
        case 'ready':
          emit('ready', { elementType: type });
          break;
        case 'height':
          element.conn.iframe.style.height = `${msg.height}px`;
          break;
        case 'change': {
          const e = msg.event;
          setClass('empty', e.empty);
          setClass('complete', e.complete);
          setClass('invalid', !!e.error);
          emit('change', { elementType: type, ...e });
          break;
        }
        case 'focus':
          setClass('focus', true);
          emit('focus', { elementType: type });
          break;
        case 'blur':
          setClass('focus', false);
          emit('blur', { elementType: type });
          break;
        case 'escape':
          emit('escape', { elementType: type });
          break;
        default:
          break;
      }
    }

    function alive(method) {
      if (state.destroyed) throw new IntegrationError(`This Element has already been destroyed. Please create a new one. (${method})`);
    }

    const element = {
      conn: null,
      post(msg) {
        if (element.conn) element.conn.post(msg);
      },
      request(action, payload) {
        if (!element.conn) throw new IntegrationError('The Element is not mounted.');
        return element.conn.request(action, payload);
      },
      api: null,
    };

    const api = {
      /** https://docs.stripe.com/js/element/mount */
      mount(target) {
        alive('mount');
        if (element.conn) {
          throw new IntegrationError('This Element is already mounted. Use `unmount` to unmount the Element before re-mounting.');
        }
        const container = typeof target === 'string' ? document.querySelector(target) : target;
        if (!container || !(container instanceof Element)) {
          throw new IntegrationError(
            typeof target === 'string'
              ? `The selector you specified (${target}) applies to no DOM elements that are currently on the page.\nMake sure the element exists on the page before calling mount().`
              : 'Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.',
          );
        }
        state.container = container;
        const params = {
          key: group.key,
          type,
          intent: intentKind(group.clientSecret) || group.options.mode || '',
          options: JSON.stringify({ ...options, appearance: group.options.appearance || options.appearance || null }),
        };
        element.conn = new FrameConnection('/elements/payment-frame', params, onFrameEvent);
        const f = element.conn.iframe;
        f.title = 'Secure payment input frame';
        f.style.cssText =
          'border:none !important;margin:0 !important;padding:0 !important;width:1px !important;min-width:100% !important;' +
          'overflow:hidden !important;display:block !important;user-select:none !important;color-scheme:normal;';
        f.style.height = type === 'card' ? '44px' : '180px';
        const wrapper = document.createElement('div');
        wrapper.className = '__PrivateStripeElement';
        wrapper.style.cssText =
          'margin:0 !important;padding:0 !important;border:none !important;display:block !important;' +
          'background:transparent !important;position:relative !important;opacity:1 !important;';
        wrapper.appendChild(f);
        state.wrapper = wrapper;
        container.classList.add('StripeElement', 'StripeElement--empty');
        container.appendChild(wrapper);
      },

      unmount() {
        alive('unmount');
        if (!element.conn) return;
        element.conn.close();
        element.conn = null;
        if (state.wrapper) state.wrapper.remove();
        if (state.container) {
          state.container.classList.remove(
            'StripeElement',
            'StripeElement--empty',
            'StripeElement--complete',
            'StripeElement--invalid',
            'StripeElement--focus',
          );
        }
        state.wrapper = null;
        state.container = null;
      },

      destroy() {
        if (state.destroyed) return;
        api.unmount();
        state.destroyed = true;
        group.elements.delete(type);
      },

      on(event, handler) {
        if (!handlers.has(event)) throw new IntegrationError(`${event} is not a valid event type for the ${type} Element.`);
        if (typeof handler !== 'function') throw new IntegrationError('The handler should be a function.');
        handlers.get(event).push(handler);
        return api;
      },

      once(event, handler) {
        const wrapped = (e) => {
          api.off(event, wrapped);
          handler(e);
        };
        return api.on(event, wrapped);
      },

      off(event, handler) {
        if (!handlers.has(event)) return api;
        handlers.set(event, handler ? handlers.get(event).filter((h) => h !== handler) : []);
        return api;
      },

      update(newOptions = {}) {
        alive('update');
        Object.assign(options, newOptions);
        element.post({ type: 'update', options: newOptions });
      },

      focus() {
        element.post({ type: 'focus' });
      },

      blur() {
        element.post({ type: 'blur' });
      },

      clear() {
        element.post({ type: 'clear' });
      },

      collapse() {
        return api;
      },
    };
    Object.defineProperty(api, '__stripeEmulatorElement', { value: element });
    element.api = api;
    return element;
  }

  window.Stripe = Stripe;
})();
