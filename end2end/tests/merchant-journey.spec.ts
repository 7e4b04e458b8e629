import { fullName, newCustomer } from './data';
import { expect, test } from './fixtures';
import { App } from './pages/app';
import { isProfileUrl } from './pages/customers';

test('a merchant signs up, signs in again, adds a customer and finds them from the list', async ({
  page,
  merchant,
}) => {
  // The merchant signs up here, as a step of the journey (the `app` fixture would do it before).
  const app = new App(page);
  const { customers } = app;
  const customer = newCustomer('journey');

  await test.step('sign up lands on Customers', async () => {
    await app.signUp(merchant);
    await expect(page.getByText('No customers yet.')).toBeVisible();
  });

  await test.step('sign out, a wrong password is refused, the right one signs in', async () => {
    await app.signOut();
    await expect(app.heading('Sign in', 1)).toBeVisible();

    await app.submitSignIn(merchant.email, 'not the password');
    await expect(
      page.getByRole('alert').filter({ hasText: 'Email or password is incorrect.' }),
    ).toBeVisible();
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await app.waitForApp();

    await app.submitSignIn(merchant.email, merchant.password);
    await app.expectSignedIn(merchant);
  });

  const profile = await test.step('New customer, all fields, Save customer opens the profile', async () => {
    await customers.clickNewCustomer();
    const profile = await customers.saveNew(customer);
    await expect(profile.heading('Payment Information', 2)).toBeVisible();
    await expect(profile.heading('Payment Options', 3)).toBeVisible();
    await expect(profile.noCardOnFile.first()).toBeVisible();
    await expect(profile.heading('Notifications', 2)).toBeVisible();
    await expect(profile.actions).toBeVisible();
    return profile;
  });

  await test.step('Main menu → Customers, search by email, open the profile: all in the SPA', async () => {
    // A full page load would drop this mark; client-side navigation keeps it.
    await app.markDocument();
    await app.fromMainMenu('Customers');
    await expect(app.heading('Customers', 1)).toBeVisible();
    await app.expectSameDocument();

    await customers.searchFor(customer.email);
    const row = customers.row(customer.email);
    await expect(row).toHaveCount(1);
    const nameLink = row.getByRole('link', { name: fullName(customer), exact: true });
    await expect(nameLink).toBeVisible();

    // The search itself may or may not reload the page; mark the document we are on now.
    await app.markDocument();
    await nameLink.click();
    await page.waitForURL(isProfileUrl);
    expect(page.url()).toBe(profile.url);
    await expect(profile.heading(fullName(customer), 1)).toBeVisible();
    await expect(profile.heading('Payment Information', 2)).toBeVisible();
    await app.expectSameDocument();
  });
});
