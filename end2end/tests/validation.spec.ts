import { newCustomer } from './data';
import { expect, test } from './fixtures';
import { isProfileUrl } from './pages/customers';

test('an empty first name is refused and nothing is created', async ({ page, app }) => {
  const { customers } = app;
  const customer = newCustomer('valid-first');

  await customers.openNew();
  await customers.fillForm({ ...customer, firstName: '' });
  await customers.save();

  await expect(page.getByText('Enter a first name.')).toBeVisible();
  expect(isProfileUrl(new URL(page.url()))).toBe(false);
  await expect(app.heading('New customer', 1)).toBeVisible();

  await app.fromMainMenu('Customers');
  await expect(app.heading('Customers', 1)).toBeVisible();
  await expect(page.getByText('No customers yet.')).toBeVisible();
});

test('two customers of one merchant cannot share an email address', async ({ page, app }) => {
  const { customers } = app;
  const first = newCustomer('valid-dup');
  await customers.create(first);

  const second = { ...newCustomer('valid-dup'), email: first.email };
  await customers.openNew();
  await customers.fillForm(second);
  await customers.save();

  await expect(page.getByText('Another customer already uses this email address.')).toBeVisible();
  expect(isProfileUrl(new URL(page.url()))).toBe(false);

  await customers.open();
  await expect(customers.row(first.email)).toHaveCount(1);
});
