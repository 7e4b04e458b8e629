import {
  expect,
  fillCustomerForm,
  fullName,
  heading,
  isCustomersUrl,
  isProfileUrl,
  mainMenu,
  newCustomer,
  newMerchant,
  saveCustomer,
  signOut,
  signUp,
  submitSignIn,
  test,
  waitForApp,
} from './helpers';

test('a merchant signs up, signs in again, adds a customer and finds them from the list', async ({
  page,
}) => {
  const merchant = newMerchant('journey');
  const customer = newCustomer('journey');

  await test.step('sign up lands on Customers', async () => {
    await signUp(page, merchant);
    await expect(page.getByText('No customers yet.')).toBeVisible();
  });

  await test.step('sign out, a wrong password is refused, the right one signs in', async () => {
    await signOut(page);
    await expect(heading(page, 'Sign in', 1)).toBeVisible();

    await submitSignIn(page, merchant.email, 'not the password');
    await expect(
      page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }),
    ).toBeVisible();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await waitForApp(page);

    await submitSignIn(page, merchant.email, merchant.password);
    await page.waitForURL(isCustomersUrl);
    await waitForApp(page);
    await expect(heading(page, 'Customers', 1)).toBeVisible();
    await expect(page.getByRole('banner')).toContainText(merchant.business);
  });

  await test.step('New customer, all fields, Save customer opens the profile', async () => {
    await page.getByRole('link', { name: 'New customer', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/customers/new');
    await waitForApp(page);
    await expect(heading(page, 'New customer', 1)).toBeVisible();

    await fillCustomerForm(page, customer);
    await saveCustomer(page);
    await page.waitForURL(isProfileUrl);
    await waitForApp(page);

    await expect(heading(page, fullName(customer), 1)).toBeVisible();
    await expect(heading(page, 'Payment Information', 2)).toBeVisible();
    await expect(heading(page, 'Payment Options', 3)).toBeVisible();
    await expect(page.getByText('No card on file').first()).toBeVisible();
    await expect(heading(page, 'Notifications', 2)).toBeVisible();
    const actions = page.getByRole('complementary').filter({ has: heading(page, 'Actions', 2) });
    await expect(actions).toBeVisible();
  });

  const profileUrl = page.url();

  await test.step('Main menu → Customers, search by email, open the profile: all in the SPA', async () => {
    // A full page load would drop this marker; client-side navigation keeps it.
    await page.evaluate(() => {
      window.__spaMarker = 1;
    });

    await mainMenu(page).getByRole('link', { name: 'Customers', exact: true }).click();
    await page.waitForURL(isCustomersUrl);
    await expect(heading(page, 'Customers', 1)).toBeVisible();
    expect(await page.evaluate(() => window.__spaMarker)).toBe(1);

    const search = page.getByRole('search');
    await search.getByLabel('Search customers', { exact: true }).fill(customer.email);
    await search.getByRole('button', { name: 'Search', exact: true }).click();
    await page.waitForURL(
      (url) => isCustomersUrl(url) && url.searchParams.get('q') === customer.email,
    );
    await waitForApp(page);

    const row = page.getByRole('row').filter({ hasText: customer.email });
    await expect(row).toHaveCount(1);
    const nameLink = row.getByRole('link', { name: fullName(customer), exact: true });
    await expect(nameLink).toBeVisible();

    // The search itself may or may not reload the page; mark the document we are on now.
    await page.evaluate(() => {
      window.__spaMarker = 2;
    });
    await nameLink.click();
    await page.waitForURL(isProfileUrl);
    expect(page.url()).toBe(profileUrl);
    await expect(heading(page, fullName(customer), 1)).toBeVisible();
    await expect(heading(page, 'Payment Information', 2)).toBeVisible();
    expect(await page.evaluate(() => window.__spaMarker)).toBe(2);
  });
});
