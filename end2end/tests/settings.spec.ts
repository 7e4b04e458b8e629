import { expect, test } from './fixtures';

test('Settings: rename the business, connect demo Stripe, see the demo banner, disconnect', async ({
  page,
  app,
  merchant,
}) => {
  const { settings } = app;
  await app.fromMainMenu('Settings');
  await expect(settings.heading('Settings', 1)).toBeVisible();

  await test.step('rename: the top bar follows without a reload', async () => {
    const renamed = `${merchant.business} & Co`;
    await page.getByLabel('Business name', { exact: true }).fill(renamed);
    await settings.section('Business').getByRole('button', { name: 'Save', exact: true }).click();
    await expect(app.banner).toContainText(renamed);
  });

  await test.step('card link validity: out of range is refused, a valid number is kept', async () => {
    const requests = settings.section('Card requests');
    const days = requests.getByLabel('Link validity (days)', { exact: true });
    await expect(days).toHaveValue('7');
    await days.fill('31');
    await requests.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(requests.getByText('Enter a whole number of days from 1 to 30.')).toBeVisible();
    await days.fill('3');
    await requests.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(requests.getByText('Enter a whole number of days from 1 to 30.')).toHaveCount(0);
    await page.reload();
    await settings.waitForApp();
    await expect(days).toHaveValue('3');
  });

  const { stripe } = settings;
  await test.step('connect demo Stripe', async () => {
    await expect(stripe.getByText('Not connected')).toBeVisible();
    await expect(page.getByText('Demo — no real payments')).toHaveCount(0);
    await settings.connectDemoStripe();
    await expect(stripe.getByText('Test mode')).toBeVisible();
    await expect(stripe.getByText(/^acct_/)).toBeVisible();
    await expect(page.getByRole('status').filter({ hasText: 'Demo — no real payments' })).toBeVisible();
  });

  await test.step('pasted keys are checked field by field', async () => {
    await stripe.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await expect(stripe.getByText('Not connected')).toBeVisible();
    await expect(page.getByText('Demo — no real payments')).toHaveCount(0);
    await stripe.getByLabel('Publishable key', { exact: true }).fill('pk_nope');
    await stripe.getByLabel('Secret key', { exact: true }).fill('sk_live_0123456789abcdef');
    await stripe.getByLabel('Webhook signing secret', { exact: true }).fill('whsec_0123456789abcdef');
    await stripe.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(stripe.getByText('Enter the publishable key; it starts with pk_test_ or pk_live_.')).toBeVisible();
    await expect(stripe.getByText('Not connected')).toBeVisible();
  });
});
