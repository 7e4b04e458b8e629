import {
  createCustomer,
  expect,
  fillCustomerForm,
  heading,
  isCustomersUrl,
  isProfileUrl,
  mainMenu,
  newCustomer,
  newMerchant,
  open,
  saveCustomer,
  signUp,
  test,
} from './helpers';

test('an empty first name is refused and nothing is created', async ({ page }) => {
  await signUp(page, newMerchant('valid-first'));
  const customer = newCustomer('valid-first');

  await open(page, '/customers/new');
  await fillCustomerForm(page, { ...customer, firstName: '' });
  await saveCustomer(page);

  await expect(page.getByText('Enter a first name.')).toBeVisible();
  expect(isProfileUrl(new URL(page.url()))).toBe(false);
  await expect(heading(page, 'New customer', 1)).toBeVisible();

  await mainMenu(page).getByRole('link', { name: 'Customers', exact: true }).click();
  await page.waitForURL(isCustomersUrl);
  await expect(heading(page, 'Customers', 1)).toBeVisible();
  await expect(page.getByText('No customers yet.')).toBeVisible();
});

test('two customers of one merchant cannot share an email address', async ({ page }) => {
  await signUp(page, newMerchant('valid-dup'));
  const first = newCustomer('valid-dup');
  await createCustomer(page, first);

  const second = { ...newCustomer('valid-dup'), email: first.email };
  await open(page, '/customers/new');
  await fillCustomerForm(page, second);
  await saveCustomer(page);

  await expect(page.getByText('Another customer already uses this email address.')).toBeVisible();
  expect(isProfileUrl(new URL(page.url()))).toBe(false);

  await open(page, '/customers');
  await expect(page.getByRole('row').filter({ hasText: first.email })).toHaveCount(1);
});
