/* The hidden controller frame: retrieves intents and confirms them with an existing PaymentMethod. */
'use strict';

(() => {
  const kinds = ['setup_intent', 'payment_intent'];
  const badKind = { error: { type: 'invalid_request_error', message: 'Unknown intent type.' } };

  StripeFrame.handlers.retrieve = ({ kind, clientSecret }) =>
    kinds.includes(kind) ? StripeFrame.retrieve(kind, clientSecret) : badKind;

  StripeFrame.handlers.confirm = ({ kind, clientSecret, params }) => {
    if (!kinds.includes(kind)) return badKind;
    const form = { ...(params || {}) };
    delete form.payment_method_data; // card details are typed in the payment frame only
    return StripeFrame.confirm(kind, clientSecret, form);
  };

  StripeFrame.post({ type: 'ready' });
})();
