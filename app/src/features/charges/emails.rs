//! Emails about charges: receipt, confirm-your-payment link, the merchant's outcome notice.
