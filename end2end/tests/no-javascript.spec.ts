import { newCustomer } from './data';
import { expect, test } from './fixtures';
import { isProfileUrl } from './pages/customers';

// Merchant pages are server-rendered forms first: they must work before (or without) the WASM.
test.use({ javaScriptEnabled: false });

test('without JavaScript a merchant signs up and adds a customer, with field errors first', async ({
  page,
  app,
}) => {
  const { customers } = app;
  const customer = newCustomer('nojs');

  await customers.clickNewCustomer();

  await test.step('empty first name and a bad email are refused with messages under the fields', async () => {
    await customers.fillForm({ ...customer, firstName: '', email: 'not-an-email' });
    await customers.save();
    await expect(page.getByText('Enter a first name.')).toBeVisible();
    await expect(
      page.getByText('Enter a valid email address, like name@example.com.'),
    ).toBeVisible();
    expect(isProfileUrl(new URL(page.url()))).toBe(false);
  });

  await test.step('valid values open the profile', async () => {
    const profile = await customers.saveNew(customer);
    await expect(profile.heading('Payment Information', 2)).toBeVisible();
    await expect(profile.noCardOnFile.first()).toBeVisible();
  });
});
