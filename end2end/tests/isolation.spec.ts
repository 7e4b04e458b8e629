import { fullName, newCustomer, newMerchant } from './data';
import { expect, test } from './fixtures';
import { App } from './pages/app';
import { runsWithoutJavaScript } from './pages/base';

test("a merchant cannot open another merchant's customer", async ({ app, browser }) => {
  const customer = newCustomer('isolated');
  const profile = await app.customers.create(customer);
  await profile.expectNew();

  const other = await browser.newContext();
  try {
    const otherApp = new App(await other.newPage());
    await otherApp.signUp(newMerchant('iso-b'));

    const response = await otherApp.goto(profile.url);
    expect(response?.status()).toBe(404);
    await expect(otherApp.heading('Customer not found', 1)).toBeVisible();
    // Nothing of merchant A's customer shows.
    await expect(otherApp.page.getByText(customer.email)).toHaveCount(0);
    await expect(otherApp.page.getByText(customer.lastName)).toHaveCount(0);

    // Nor in B's own list, even when searched for.
    await otherApp.customers.open(customer.email);
    await expect(otherApp.heading('Customers', 1)).toBeVisible();
    await expect(otherApp.page.getByRole('link', { name: fullName(customer) })).toHaveCount(0);
  } finally {
    await other.close();
  }

  // Merchant A still has it.
  const response = await app.goto(profile.url);
  expect(response?.status()).toBe(200);
  await expect(app.heading(fullName(customer), 1)).toBeVisible();
});

test('an unknown customer id is not found', async ({ app }) => {
  const profile = await app.customers.create(newCustomer('iso-unknown'));

  // An id of the same shape as a real one that no customer has.
  const id = new URL(profile.url).pathname.split('/').pop() ?? '';
  const unknownId = /^\d+$/.test(id)
    ? String(BigInt(id) + 1_000_000_000n)
    : id.replace(/[0-9a-f]/g, '0').replace(/^0/, 'f');
  const response = await app.goto(`/customers/${unknownId}`);
  expect(response?.status()).toBe(404);
  await expect(app.heading('Customer not found', 1)).toBeVisible();
});

test('signed out, merchant pages send you to sign in', async ({ browser }) => {
  const visitor = await browser.newContext();
  try {
    const page = await visitor.newPage();
    for (const path of ['/customers', '/customers/new', '/settings']) {
      await page.goto(path);
      await expect(page).toHaveURL((url) => url.pathname === '/sign-in');
      await expect(new App(page).heading('Sign in', 1)).toBeVisible();
    }
  } finally {
    await visitor.close();
  }
});

// A merchant opens a link to a customer from an email while signed out: the server sends them to
// sign in (303, no app code downloaded first) and signing in brings them to that customer.
for (const javaScriptEnabled of [true, false]) {
  test(`signed out, a merchant page opened from a link comes back after signing in (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`, async ({
    app,
    merchant,
    browser,
  }) => {
    const customer = newCustomer(javaScriptEnabled ? 'return' : 'return-nojs');
    const profile = await app.customers.create(customer);
    await profile.expectNew();
    const profilePath = new URL(profile.url).pathname;

    const visitor = await browser.newContext({ javaScriptEnabled });
    if (!javaScriptEnabled) runsWithoutJavaScript(visitor);
    try {
      const page = await visitor.newPage();
      const response = await page.goto(profilePath);
      expect(response?.request().redirectedFrom()?.url()).toContain(profilePath);
      await expect(page).toHaveURL(
        (url) => url.pathname === '/sign-in' && url.searchParams.get('next') === profilePath,
      );
      const visitorApp = new App(page);
      await visitorApp.waitForApp();
      await visitorApp.submitSignIn(merchant.email, merchant.password);
      await page.waitForURL((url) => url.pathname === profilePath);
      await expect(visitorApp.heading(fullName(customer), 1)).toBeVisible();
    } finally {
      await visitor.close();
    }
  });
}
