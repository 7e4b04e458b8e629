// Who and what the tests type into the app: merchants, customers and test cards. Every name and
// email is unique per test, so tests run in parallel on one database without seeing each other.

export function unique(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}`;
}

export interface Merchant {
  business: string;
  name: string;
  email: string;
  password: string;
}

export function newMerchant(prefix = 'merchant'): Merchant {
  const id = unique(prefix);
  return {
    business: `Harbour Tours ${id}`,
    name: 'Alex Morgan',
    email: `${id}@example.com`,
    password: 'correct horse battery staple',
  };
}

export interface Customer {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  notes: string;
}

/** Jamie Rivera with a unique last name and email; `details` replaces any of it. */
export function newCustomer(prefix = 'customer', details: Partial<Customer> = {}): Customer {
  const id = unique(prefix);
  return {
    firstName: 'Jamie',
    // Unique per test, so a name found on screen is this test's customer.
    lastName: `Rivera ${id.slice(-8)}`,
    email: `${id}@example.com`,
    phone: '+1 555 0100',
    notes: 'Booked the sunset tour by phone.',
    ...details,
  };
}

export function fullName(customer: Pick<Customer, 'firstName' | 'lastName'>): string {
  return `${customer.firstName} ${customer.lastName}`;
}

/** A future expiry as typed into the Payment Element ("12 / 29") and as shown after ("12/29"). */
export function testCardExpiry(): { typed: string; shown: string } {
  const year = String((new Date().getFullYear() + 3) % 100).padStart(2, '0');
  return { typed: `12 / ${year}`, shown: `12/${year}` };
}

/** "Visa •••• 4242 — expires 12/29": a saved test card as the app shows it. */
export function cardLine(last4: string, brand = 'Visa'): string {
  return `${brand} •••• ${last4} — expires ${testCardExpiry().shown}`;
}

/** The last four digits of a card number as typed ("4242 4242 4242 4242" → "4242"). */
export function last4(number: string): string {
  return number.replace(/\D/g, '').slice(-4);
}
