//! Settles charges whose outcome was never recorded (a crash, a lost response) from Stripe.
