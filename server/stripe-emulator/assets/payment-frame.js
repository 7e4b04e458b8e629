/*
 * The Payment Element's (and Card Element's) card form, inside the "Secure payment input frame".
 * Formats and validates like Stripe's Elements, with Stripe's messages and error codes, tells the
 * host page about changes (complete/empty/error only, never the card details) and, when asked,
 * confirms the intent with the emulator's API.
 */
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const root = $('root');
  const inputs = { number: $('number'), expiry: $('expiry'), cvc: $('cvc') };
  const params = StripeFrame.params;
  const elementType = params.get('type') === 'card' ? 'card' : 'payment';
  let options = {};
  try {
    options = JSON.parse(params.get('options') || '{}') || {};
  } catch (err) {
    options = {};
  }
  document.body.classList.add(`layout-${elementType}`);
  if (elementType === 'card') for (const input of Object.values(inputs)) input.setAttribute('aria-describedby', 'card-error');

  // --- Brands: prefixes, lengths and digit groups as Stripe.js formats them. -------------------
  const BRANDS = [
    { brand: 'amex', re: /^3[47]/, length: 15, gaps: [4, 10], cvc: 4 },
    { brand: 'diners', re: /^36/, length: 14, gaps: [4, 10], cvc: 3 },
    { brand: 'diners', re: /^3(0[0-59]|[89])/, length: 16, gaps: [4, 8, 12], cvc: 3 },
    { brand: 'jcb', re: /^35/, length: 16, gaps: [4, 8, 12], cvc: 3 },
    { brand: 'discover', re: /^6(011|4[4-9]|5)/, length: 16, gaps: [4, 8, 12], cvc: 3 },
    { brand: 'unionpay', re: /^62/, length: 16, gaps: [4, 8, 12], cvc: 3 },
    { brand: 'mastercard', re: /^(5[1-5]|2(2[2-9]|[3-6]|7[01]|720))/, length: 16, gaps: [4, 8, 12], cvc: 3 },
    { brand: 'visa', re: /^4/, length: 16, gaps: [4, 8, 12], cvc: 3 },
  ];
  const UNKNOWN = { brand: 'unknown', length: 16, gaps: [4, 8, 12], cvc: 3 };
  const brandOf = (digits) => BRANDS.find((b) => b.re.test(digits)) || UNKNOWN;

  const digitsOf = (s) => s.replace(/\D/g, '');

  function luhn(digits) {
    let sum = 0;
    for (let i = 0; i < digits.length; i++) {
      let d = Number(digits[digits.length - 1 - i]);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return digits.length > 0 && sum % 10 === 0;
  }

  function groupDigits(digits, gaps) {
    let out = '';
    for (let i = 0; i < digits.length; i++) {
      if (gaps.includes(i)) out += ' ';
      out += digits[i];
    }
    return out;
  }

  /** `4` → `04`, `1234` → `12 / 34` (Stripe's MM / YY field). */
  function formatExpiry(digits, deleting) {
    let d = digits.slice(0, 4);
    if (d.length === 1 && d > '1') d = `0${d}`;
    if (d.length > 2) return `${d.slice(0, 2)} / ${d.slice(2)}`;
    if (d.length === 2 && !deleting) return `${d} / `;
    return d;
  }

  /** Rewrites an input's value, keeping the caret after the same number of digits. */
  function reformat(input, format) {
    const caret = input.selectionStart == null ? input.value.length : input.selectionStart;
    const digitsBefore = digitsOf(input.value.slice(0, caret)).length;
    const value = format(digitsOf(input.value));
    if (value === input.value) return;
    input.value = value;
    let pos = 0;
    for (let seen = 0; pos < value.length && seen < digitsBefore; pos++) {
      if (/\d/.test(value[pos])) seen++;
    }
    if (digitsBefore === digitsOf(value).length) pos = value.length;
    if (document.activeElement === input) input.setSelectionRange(pos, pos);
  }

  // --- Validation with Stripe's codes and sentences. --------------------------------------------
  const ERR = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
  };
  const error = (code) => ({ code, message: ERR[code] });

  function card() {
    const number = digitsOf(inputs.number.value);
    const expiry = digitsOf(inputs.expiry.value);
    const cvc = digitsOf(inputs.cvc.value);
    return { number, expiry, cvc, brand: brandOf(number) };
  }

  /** field → {code, message} or null. `incomplete` errors are the ones shown only after blur. */
  function validate(c) {
    const errors = { number: null, expiry: null, cvc: null };
    if (c.number.length < c.brand.length) errors.number = error('incomplete_number');
    else if (!luhn(c.number)) errors.number = error('invalid_number');

    if (c.expiry.length < 4) {
      errors.expiry = error('incomplete_expiry');
    } else {
      const month = Number(c.expiry.slice(0, 2));
      const year = 2000 + Number(c.expiry.slice(2, 4));
      const now = new Date();
      const thisYear = now.getFullYear();
      if (month < 1 || month > 12) errors.expiry = error('invalid_expiry_month');
      else if (year < thisYear) errors.expiry = error('invalid_expiry_year_past');
      else if (year === thisYear && month < now.getMonth() + 1) errors.expiry = error('invalid_expiry_month_past');
      else if (year > thisYear + 50) errors.expiry = error('invalid_expiry_year');
    }

    const cvcLength = c.number.length === 0 || c.brand === UNKNOWN ? 3 : c.brand.cvc;
    if (c.cvc.length < cvcLength) errors.cvc = error('incomplete_cvc');
    return errors;
  }

  // Which fields show their errors: Stripe shows "incomplete" only once the customer left the
  // field (or tried to submit), and "invalid" as soon as the value is complete but wrong.
  const touched = { number: false, expiry: false, cvc: false };
  let submitted = false;

  function visibleErrors() {
    const c = card();
    const errors = validate(c);
    const visible = {};
    for (const field of Object.keys(inputs)) {
      const e = errors[field];
      const empty = digitsOf(inputs[field].value) === '';
      const shown = e && (submitted || (touched[field] && !empty) || !e.code.startsWith('incomplete'));
      visible[field] = shown ? e : null;
    }
    return { c, errors, visible };
  }

  let lastEvent = '';
  let disabled = false;

  /** Renders the errors and sends Stripe's change event when its payload changed. */
  function refresh(silent = false) {
    const { c, errors, visible } = visibleErrors();
    let first = null;
    for (const field of Object.keys(inputs)) {
      const e = visible[field];
      // The Payment Element shows each field's error under it; the Card Element one line for all.
      $(`${field}-error`).textContent = e && elementType === 'payment' ? e.message : '';
      inputs[field].setAttribute('aria-invalid', e ? 'true' : 'false');
      inputs[field].parentElement.classList.toggle('invalid', !!e);
      if (e && !first) first = e;
    }
    $('card-error').textContent = first && elementType === 'card' ? first.message : '';
    $('brand').dataset.brand = c.brand.brand;
    const empty = !c.number && !c.expiry && !c.cvc;
    const complete = !errors.number && !errors.expiry && !errors.cvc;
    const event = { empty, complete };
    if (elementType === 'payment') {
      event.collapsed = false;
      event.value = { type: 'card' };
    } else {
      event.brand = c.brand.brand;
      event.value = {};
    }
    if (first) event.error = { type: 'validation_error', code: first.code, message: first.message };
    const serialized = JSON.stringify(event);
    if (serialized !== lastEvent) {
      lastEvent = serialized;
      if (!silent) StripeFrame.post({ type: 'change', event });
    }
  }

  inputs.number.addEventListener('input', () => {
    reformat(inputs.number, (d) => {
      const brand = brandOf(d);
      return groupDigits(d.slice(0, brand.length), brand.gaps);
    });
    const c = card();
    // Like Stripe, move on to the expiry once the number is complete and valid.
    if (c.number.length === c.brand.length && luhn(c.number) && document.activeElement === inputs.number) {
      touched.number = true;
      inputs.expiry.focus();
    }
    refresh();
  });
  inputs.expiry.addEventListener('input', (e) => {
    const deleting = e.inputType && e.inputType.startsWith('delete');
    reformat(inputs.expiry, (d) => formatExpiry(d, deleting));
    if (digitsOf(inputs.expiry.value).length === 4 && !validate(card()).expiry) {
      touched.expiry = true;
      inputs.cvc.focus();
    }
    refresh();
  });
  inputs.cvc.addEventListener('input', () => {
    const c = card();
    const max = c.brand === UNKNOWN ? 4 : c.brand.cvc;
    reformat(inputs.cvc, (d) => d.slice(0, max));
    refresh();
  });
  for (const [field, input] of Object.entries(inputs)) {
    input.addEventListener('blur', () => {
      touched[field] = true;
      refresh();
    });
  }

  // focus / blur of the element as a whole, and Escape.
  root.addEventListener('focusin', (e) => {
    if (!root.contains(e.relatedTarget)) StripeFrame.post({ type: 'focus' });
  });
  root.addEventListener('focusout', (e) => {
    if (!root.contains(e.relatedTarget)) StripeFrame.post({ type: 'blur' });
  });
  root.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') StripeFrame.post({ type: 'escape' });
  });
  root.addEventListener('submit', (e) => e.preventDefault());

  function setDisabled(on) {
    disabled = on;
    for (const input of Object.values(inputs)) input.disabled = on || !!options.disabled;
    root.classList.toggle('busy', on);
  }

  /** Shows every error, as on submit; `{}` or `{error}` with Stripe's validation_error. */
  function validateAll() {
    submitted = true;
    refresh();
    const errors = validate(card());
    const first = errors.number || errors.expiry || errors.cvc;
    if (first) {
      const field = errors.number ? 'number' : errors.expiry ? 'expiry' : 'cvc';
      inputs[field].focus();
      return { error: { type: 'validation_error', code: first.code, message: first.message } };
    }
    return {};
  }

  /** The card as the API takes it: `payment_method_data` / `POST /v1/payment_methods` params. */
  function paymentMethodData(billing) {
    const c = card();
    const data = {
      type: 'card',
      card: { number: c.number, exp_month: c.expiry.slice(0, 2), exp_year: c.expiry.slice(2, 4), cvc: c.cvc },
    };
    if (billing) data.billing_details = billing;
    return data;
  }

  // --- Requests from the host page. ------------------------------------------------------------
  StripeFrame.handlers.validate = () => validateAll();

  StripeFrame.handlers.confirm = async ({ kind, clientSecret, params }) => {
    if (kind !== 'setup_intent' && kind !== 'payment_intent') {
      return { error: { type: 'invalid_request_error', message: 'Unknown intent type.' } };
    }
    if (disabled) return { error: { type: 'invalid_request_error', message: 'A confirmation is already in progress.' } };
    const invalid = validateAll();
    if (invalid.error) return invalid;
    const form = { ...(params || {}) };
    const extra = form.payment_method_data || {};
    delete form.payment_method;
    form.payment_method_data = { ...extra, ...paymentMethodData(extra.billing_details) };
    setDisabled(true);
    try {
      return await StripeFrame.confirm(kind, clientSecret, form);
    } finally {
      setDisabled(false);
    }
  };

  StripeFrame.handlers.createPaymentMethod = async ({ billing_details: billing }) => {
    const invalid = validateAll();
    if (invalid.error) return invalid;
    setDisabled(true);
    try {
      const res = await StripeFrame.api('POST', '/v1/payment_methods', paymentMethodData(billing));
      return res.ok ? { paymentMethod: res.json } : { error: res.json.error };
    } finally {
      setDisabled(false);
    }
  };

  // --- Commands from the host page. ------------------------------------------------------------
  StripeFrame.handlers.update = (msg) => applyOptions(msg.options || {});
  StripeFrame.handlers.focus = () => inputs.number.focus();
  StripeFrame.handlers.blur = () => {
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
  };
  StripeFrame.handlers.clear = () => {
    for (const input of Object.values(inputs)) input.value = '';
    for (const field of Object.keys(touched)) touched[field] = false;
    submitted = false;
    refresh();
  };

  // --- Appearance (a subset of Stripe's Appearance API) and options. ----------------------------
  const VARIABLES = {
    colorPrimary: '--color-primary',
    colorBackground: '--color-background',
    colorText: '--color-text',
    colorTextSecondary: '--color-text-secondary',
    colorTextPlaceholder: '--color-text-placeholder',
    colorDanger: '--color-danger',
    fontFamily: '--font-family',
    fontSizeBase: '--font-size-base',
    spacingUnit: '--spacing-unit',
    borderRadius: '--border-radius',
  };

  function applyOptions(next) {
    Object.assign(options, next);
    const style = document.documentElement.style;
    const appearance = options.appearance || {};
    document.body.dataset.theme = appearance.theme || 'stripe';
    for (const [name, value] of Object.entries(appearance.variables || {})) {
      if (VARIABLES[name] && typeof value === 'string') style.setProperty(VARIABLES[name], value);
    }
    // The Card Element's `style` option: {base: {color, fontSize, fontFamily}, invalid: {color}}.
    const base = (options.style && options.style.base) || {};
    if (typeof base.color === 'string') style.setProperty('--color-text', base.color);
    if (typeof base.fontSize === 'string') style.setProperty('--font-size-base', base.fontSize);
    if (typeof base.fontFamily === 'string') style.setProperty('--font-family', base.fontFamily);
    const invalid = (options.style && options.style.invalid) || {};
    if (typeof invalid.color === 'string') style.setProperty('--color-danger', invalid.color);
    for (const input of Object.values(inputs)) input.disabled = disabled || !!options.disabled;

    // Stripe's mandate text for cards saved for later (SetupIntents), unless terms.card = 'never'.
    const terms = $('terms');
    const termsOption = (options.terms && options.terms.card) || 'auto';
    const showTerms =
      elementType === 'payment' && termsOption !== 'never' && (termsOption === 'always' || params.get('intent') === 'setup_intent' || params.get('intent') === 'setup');
    const business = (options.business && options.business.name) || 'this business';
    terms.textContent = `By providing your card information, you allow ${business} to charge your card for future payments in accordance with their terms.`;
    terms.hidden = !showTerms;
  }

  // --- Size: the host sizes the iframe to this frame's content. ---------------------------------
  let lastHeight = 0;
  function postHeight() {
    const height = Math.ceil(root.getBoundingClientRect().height);
    if (height !== lastHeight) {
      lastHeight = height;
      StripeFrame.post({ type: 'height', height });
    }
  }
  new ResizeObserver(postHeight).observe(root);

  applyOptions({});
  refresh(true); // the initial state is no change: Stripe sends none

  postHeight();
  StripeFrame.post({ type: 'ready' });
})();
