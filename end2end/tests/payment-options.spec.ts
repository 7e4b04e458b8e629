import { expect, test } from './fixtures';

// Create Payment Option on a customer's profile: the merchant types a card the customer gave
// them into Stripe's Payment Element inside the app, and manages the cards on file (Make default,
// Remove). The profile is never reloaded: everything follows in place.

test.describe.configure({ mode: 'parallel' });

test('Create Payment Option, Make default and Remove, all on the open profile', async ({
  merchant,
  profile,
}) => {
  test.setTimeout(60_000);
  const create = profile.createPaymentOption;
  const mastercard = profile.paymentOption('4444', 'Mastercard');
  const visa = profile.paymentOption('4242', 'Visa');

  await test.step('5555 5555 5555 4444 → listed as added by the merchant, Default', async () => {
    await expect(profile.noCardOnFile).toBeVisible();
    await create.open();
    await profile.paymentElement.fill('5555 5555 5555 4444');
    await create.saveCard.click();
    await expect(create.root).toHaveCount(0);
    await expect(create.button).toBeFocused();
    await expect(
      profile.actions.getByRole('status').filter({ hasText: 'Mastercard •••• 4444 added.' }),
    ).toBeVisible();
    await expect(mastercard).toHaveCount(1);
    await expect(mastercard).toContainText(`Added by ${merchant.name} on `);
    await expect(mastercard.getByText('Default', { exact: true })).toBeVisible();
    await expect(mastercard.getByRole('button', { name: 'Make default' })).toHaveCount(0);
    await expect(profile.noCardOnFile).toHaveCount(0);
    await expect(profile.activity.getByText('Added Mastercard •••• 4444', { exact: true })).toBeVisible();
    await profile.expectSameDocument();
  });

  await test.step('a second card is listed, not default', async () => {
    await profile.addCard('4242 4242 4242 4242');
    await expect(visa).toHaveCount(1);
    await expect(profile.paymentOptions).toHaveCount(2);
    await expect(visa.getByText('Default', { exact: true })).toHaveCount(0);
    await expect(mastercard.getByText('Default', { exact: true })).toBeVisible();
  });

  await test.step('Make default moves the badge', async () => {
    await visa.getByRole('button', { name: 'Make default', exact: true }).click();
    await expect(visa.getByText('Default', { exact: true })).toBeVisible();
    await expect(mastercard.getByText('Default', { exact: true })).toHaveCount(0);
    await expect(mastercard.getByRole('button', { name: 'Make default', exact: true })).toBeVisible();
    await expect(
      profile.activity.getByText('Made Visa •••• 4242 the default card', { exact: true }),
    ).toBeVisible();
  });

  const remove = profile.removeCardDialog;

  await test.step('Remove asks first; Cancel keeps the card', async () => {
    await mastercard.getByRole('button', { name: 'Remove', exact: true }).click();
    await expect(remove).toContainText('Remove Mastercard •••• 4444');
    await remove.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(remove).toHaveCount(0);
    await expect(mastercard).toHaveCount(1);
  });

  await test.step('Remove → confirm: gone from the list, in Activity', async () => {
    await mastercard.getByRole('button', { name: 'Remove', exact: true }).click();
    await remove.getByLabel('Reason (optional)', { exact: true }).fill('Customer asked us to');
    await remove.getByRole('button', { name: 'Remove card', exact: true }).click();
    await expect(remove).toHaveCount(0);
    await expect(mastercard).toHaveCount(0);
    await expect(profile.paymentOptions).toHaveCount(1);
    await expect(visa.getByText('Default', { exact: true })).toBeVisible();
    await expect(
      profile.activity.getByText('Removed Mastercard •••• 4444 — reason: Customer asked us to', {
        exact: true,
      }),
    ).toBeVisible();
    await profile.expectSameDocument();
  });
});

test('a declined card and a failed 3-D Secure say why in the dialog; Complete saves', async ({
  profile,
}) => {
  test.setTimeout(60_000);
  const create = profile.createPaymentOption;
  await create.open();

  await profile.paymentElement.fill('4000 0000 0000 0002');
  await create.saveCard.click();
  await expect(create.alert).toHaveText('Your card was declined.');
  await expect(create.saveCard).toBeEnabled();

  await profile.paymentElement.fill('4000 0025 0000 3155');
  await create.saveCard.click();
  await expect(profile.challenge.iframe).toHaveCount(1);
  await profile.challenge.answer('Fail');
  await expect(create.alert).toContainText('unable to authenticate');
  await expect(profile.noCardOnFile).toBeVisible();

  await profile.paymentElement.fill('4000 0025 0000 3155');
  await create.saveCard.click();
  await profile.challenge.answer('Complete');
  await expect(create.root).toHaveCount(0);
  await expect(profile.paymentOption('3155')).toHaveCount(1);
  await expect(profile.paymentOptions).toHaveCount(1);
  await profile.expectSameDocument();
});

test('Escape closes the dialog, from the page or from inside Stripe\'s frame; nothing is saved', async ({
  page,
  profile,
}) => {
  const create = profile.createPaymentOption;
  await create.open();
  await page.keyboard.press('Escape');
  await expect(create.root).toHaveCount(0);
  await expect(profile.paymentElement.iframe).toHaveCount(0);
  await expect(create.button).toBeFocused();

  await create.open();
  const number = profile.paymentElement.cardNumber;
  await number.fill('5555 5555 5555 4444');
  await number.press('Escape');
  await expect(create.root).toHaveCount(0);
  await expect(create.button).toBeFocused();
  await expect(profile.noCardOnFile).toBeVisible();
});

test.describe(() => {
  test.use({ connectStripe: false });

  test('without a Stripe connection the button is disabled with the reason', async ({ profile }) => {
    await expect(profile.createPaymentOption.button).toBeDisabled();
    await expect(profile.actions).toContainText('Connect MioPay (Stripe) in Settings first.');
    await expect(profile.heading('Payment Information', 2)).toBeVisible();
  });
});
