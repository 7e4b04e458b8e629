import {
  createCustomer,
  expect,
  expectProfile,
  fullName,
  heading,
  newAppContext,
  newCustomer,
  newMerchant,
  open,
  signUp,
  test,
} from './helpers';

test("a merchant cannot open another merchant's customer", async ({ page, browser }) => {
  const customer = newCustomer('isolated');

  await signUp(page, newMerchant('iso-a'));
  const profileUrl = await createCustomer(page, customer);
  await expectProfile(page, customer);

  const other = await newAppContext(browser);
  try {
    const otherPage = await other.newPage();
    await signUp(otherPage, newMerchant('iso-b'));

    const response = await open(otherPage, profileUrl);
    expect(response?.status()).toBe(404);
    await expect(heading(otherPage, 'Customer not found', 1)).toBeVisible();
    // Nothing of merchant A's customer shows.
    await expect(otherPage.getByText(customer.email)).toHaveCount(0);
    await expect(otherPage.getByText(customer.lastName)).toHaveCount(0);

    // Nor in B's own list, even when searched for.
    await open(otherPage, `/customers?q=${encodeURIComponent(customer.email)}`);
    await expect(heading(otherPage, 'Customers', 1)).toBeVisible();
    await expect(otherPage.getByRole('link', { name: fullName(customer) })).toHaveCount(0);
  } finally {
    await other.close();
  }

  // Merchant A still has it.
  const response = await open(page, profileUrl);
  expect(response?.status()).toBe(200);
  await expect(heading(page, fullName(customer), 1)).toBeVisible();
});

test('an unknown customer id is not found', async ({ page }) => {
  await signUp(page, newMerchant('iso-unknown'));
  const profileUrl = await createCustomer(page, newCustomer('iso-unknown'));

  // An id of the same shape as a real one that no customer has.
  const id = new URL(profileUrl).pathname.split('/').pop() ?? '';
  const unknownId = /^\d+$/.test(id)
    ? String(BigInt(id) + 1_000_000_000n)
    : id.replace(/[0-9a-f]/g, '0').replace(/^0/, 'f');
  const response = await open(page, `/customers/${unknownId}`);
  expect(response?.status()).toBe(404);
  await expect(heading(page, 'Customer not found', 1)).toBeVisible();
});

test('signed out, merchant pages send you to sign in', async ({ browser }) => {
  const visitor = await newAppContext(browser);
  try {
    const page = await visitor.newPage();
    for (const path of ['/customers', '/customers/new', '/settings']) {
      await page.goto(path);
      await expect(page).toHaveURL((url) => url.pathname === '/sign-in');
      await expect(heading(page, 'Sign in', 1)).toBeVisible();
    }
  } finally {
    await visitor.close();
  }
});
