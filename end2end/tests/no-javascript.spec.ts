import {
  expect,
  fillCustomerForm,
  fullName,
  heading,
  isProfileUrl,
  newCustomer,
  newMerchant,
  saveCustomer,
  signUp,
  test,
} from './helpers';

// Merchant pages are server-rendered forms first: they must work before (or without) the WASM.
test.use({ javaScriptEnabled: false });

test('without JavaScript a merchant signs up and adds a customer, with field errors first', async ({
  page,
}) => {
  const merchant = newMerchant('nojs');
  const customer = newCustomer('nojs');

  await signUp(page, merchant);

  await page.getByRole('link', { name: 'New customer', exact: true }).click();
  await page.waitForURL((url) => url.pathname === '/customers/new');
  await expect(heading(page, 'New customer', 1)).toBeVisible();

  await test.step('empty first name and a bad email are refused with messages under the fields', async () => {
    await fillCustomerForm(page, { ...customer, firstName: '', email: 'not-an-email' });
    await saveCustomer(page);
    await expect(page.getByText('Enter a first name.')).toBeVisible();
    await expect(
      page.getByText('Enter a valid email address, like name@example.com.'),
    ).toBeVisible();
    expect(isProfileUrl(new URL(page.url()))).toBe(false);
  });

  await test.step('valid values open the profile', async () => {
    await fillCustomerForm(page, customer);
    await saveCustomer(page);
    await page.waitForURL(isProfileUrl);
    await expect(heading(page, fullName(customer), 1)).toBeVisible();
    await expect(heading(page, 'Payment Information', 2)).toBeVisible();
    await expect(page.getByText('No card on file').first()).toBeVisible();
  });
});
