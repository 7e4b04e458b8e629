import type { Page } from '@playwright/test';
import {
  actionsPanel,
  answerChallenge,
  challengeFrame,
  connectDemoStripe,
  createCustomer,
  expect,
  expectSameDocument,
  fillPaymentElement,
  heading,
  markDocument,
  type Merchant,
  newCustomer,
  newMerchant,
  paymentElementFrame,
  signUp,
  test,
  testCardExpiry,
} from './helpers';
import { stripeEmulatorURL } from '../ports';

// Create Payment Option on a customer's profile: the merchant types a card the customer gave
// them into Stripe's Payment Element inside the app, and manages the cards on file (Make default,
// Remove). The profile is never reloaded: everything follows in place.

test.describe.configure({ mode: 'parallel' });

/** A merchant (with demo Stripe connected unless told otherwise) on a new customer's profile. */
async function profile(page: Page, prefix: string, connect = true): Promise<Merchant> {
  const merchant = newMerchant(prefix);
  await signUp(page, merchant);
  if (connect) await connectDemoStripe(page);
  await createCustomer(page, newCustomer(prefix));
  await markDocument(page);
  return merchant;
}

function createButton(page: Page) {
  return actionsPanel(page).getByRole('button', { name: 'Create Payment Option', exact: true });
}

function createDialog(page: Page) {
  return page.getByRole('dialog', { name: 'Create Payment Option' });
}

function saveCardButton(page: Page) {
  return createDialog(page).getByRole('button', { name: 'Save card', exact: true });
}

function dialogAlert(page: Page) {
  return createDialog(page).getByRole('alert').filter({ hasText: /\S/ });
}

/** Opens Create Payment Option and waits until the Payment Element takes a card. */
async function openCreateDialog(page: Page): Promise<void> {
  await createButton(page).click();
  const dialog = createDialog(page);
  await expect(dialog).toBeVisible();
  const frame = dialog.locator(paymentElementFrame);
  await expect(frame).toHaveCount(1);
  // Stripe's frame, from Stripe's origin: the card number never enters our page.
  expect(new URL((await frame.getAttribute('src')) ?? '').origin).toBe(stripeEmulatorURL);
  await expect(saveCardButton(page)).toBeEnabled();
}

function paymentOptions(page: Page) {
  return page.getByRole('region', { name: 'Payment Options' }).getByRole('listitem');
}

/** The listed card, e.g. "Mastercard •••• 4444 — expires 12/29". */
function paymentOption(page: Page, brand: string, last4: string) {
  return paymentOptions(page).filter({
    hasText: `${brand} •••• ${last4} — expires ${testCardExpiry().shown}`,
  });
}

async function addCard(page: Page, number: string): Promise<void> {
  await openCreateDialog(page);
  await fillPaymentElement(page, number);
  await saveCardButton(page).click();
  await expect(createDialog(page)).toHaveCount(0);
}

test('Create Payment Option, Make default and Remove, all on the open profile', async ({ page }) => {
  test.setTimeout(60_000);
  const merchant = await profile(page, 'po-journey');
  const mastercard = paymentOption(page, 'Mastercard', '4444');
  const visa = paymentOption(page, 'Visa', '4242');

  await test.step('5555 5555 5555 4444 → listed as added by the merchant, Default', async () => {
    await expect(page.getByText('No card on file')).toBeVisible();
    await openCreateDialog(page);
    await fillPaymentElement(page, '5555 5555 5555 4444');
    await saveCardButton(page).click();
    await expect(createDialog(page)).toHaveCount(0);
    await expect(createButton(page)).toBeFocused();
    await expect(
      actionsPanel(page).getByRole('status').filter({ hasText: 'Mastercard •••• 4444 added.' }),
    ).toBeVisible();
    await expect(mastercard).toHaveCount(1);
    await expect(mastercard).toContainText(`Added by ${merchant.name} on `);
    await expect(mastercard.getByText('Default', { exact: true })).toBeVisible();
    await expect(mastercard.getByRole('button', { name: 'Make default' })).toHaveCount(0);
    await expect(page.getByText('No card on file')).toHaveCount(0);
    await expect(
      page.getByRole('region', { name: 'Activity' }).getByText('Added Mastercard •••• 4444', { exact: true }),
    ).toBeVisible();
    await expectSameDocument(page);
  });

  await test.step('a second card is listed, not default', async () => {
    await addCard(page, '4242 4242 4242 4242');
    await expect(visa).toHaveCount(1);
    await expect(paymentOptions(page)).toHaveCount(2);
    await expect(visa.getByText('Default', { exact: true })).toHaveCount(0);
    await expect(mastercard.getByText('Default', { exact: true })).toBeVisible();
  });

  await test.step('Make default moves the badge', async () => {
    await visa.getByRole('button', { name: 'Make default', exact: true }).click();
    await expect(visa.getByText('Default', { exact: true })).toBeVisible();
    await expect(mastercard.getByText('Default', { exact: true })).toHaveCount(0);
    await expect(mastercard.getByRole('button', { name: 'Make default', exact: true })).toBeVisible();
    await expect(
      page
        .getByRole('region', { name: 'Activity' })
        .getByText('Made Visa •••• 4242 the default card', { exact: true }),
    ).toBeVisible();
  });

  await test.step('Remove asks first; Cancel keeps the card', async () => {
    await mastercard.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove card' });
    await expect(dialog).toContainText('Remove Mastercard •••• 4444');
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(mastercard).toHaveCount(1);
  });

  await test.step('Remove → confirm: gone from the list, in Activity', async () => {
    await mastercard.getByRole('button', { name: 'Remove', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove card' });
    await dialog.getByLabel('Reason (optional)', { exact: true }).fill('Customer asked us to');
    await dialog.getByRole('button', { name: 'Remove card', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(mastercard).toHaveCount(0);
    await expect(paymentOptions(page)).toHaveCount(1);
    await expect(visa.getByText('Default', { exact: true })).toBeVisible();
    await expect(
      page
        .getByRole('region', { name: 'Activity' })
        .getByText('Removed Mastercard •••• 4444 — reason: Customer asked us to', { exact: true }),
    ).toBeVisible();
    await expectSameDocument(page);
  });
});

test('a declined card and a failed 3-D Secure say why in the dialog; Complete saves', async ({ page }) => {
  test.setTimeout(60_000);
  await profile(page, 'po-declines');
  await openCreateDialog(page);

  await fillPaymentElement(page, '4000 0000 0000 0002');
  await saveCardButton(page).click();
  await expect(dialogAlert(page)).toHaveText('Your card was declined.');
  await expect(saveCardButton(page)).toBeEnabled();

  await fillPaymentElement(page, '4000 0025 0000 3155');
  await saveCardButton(page).click();
  await expect(page.locator(challengeFrame)).toHaveCount(1);
  await answerChallenge(page, 'Fail');
  await expect(dialogAlert(page)).toContainText('unable to authenticate');
  await expect(page.getByText('No card on file')).toBeVisible();

  await fillPaymentElement(page, '4000 0025 0000 3155');
  await saveCardButton(page).click();
  await answerChallenge(page, 'Complete');
  await expect(createDialog(page)).toHaveCount(0);
  await expect(paymentOption(page, 'Visa', '3155')).toHaveCount(1);
  await expect(paymentOptions(page)).toHaveCount(1);
  await expectSameDocument(page);
});

test('Escape closes the dialog, from the page or from inside Stripe\'s frame; nothing is saved', async ({
  page,
}) => {
  await profile(page, 'po-escape');
  await openCreateDialog(page);
  await page.keyboard.press('Escape');
  await expect(createDialog(page)).toHaveCount(0);
  await expect(page.locator(paymentElementFrame)).toHaveCount(0);
  await expect(createButton(page)).toBeFocused();

  await openCreateDialog(page);
  const number = page.frameLocator(paymentElementFrame).getByLabel('Card number', { exact: true });
  await number.fill('5555 5555 5555 4444');
  await number.press('Escape');
  await expect(createDialog(page)).toHaveCount(0);
  await expect(createButton(page)).toBeFocused();
  await expect(page.getByText('No card on file')).toBeVisible();
});

test('without a Stripe connection the button is disabled with the reason', async ({ page }) => {
  await profile(page, 'po-unconnected', false);
  await expect(createButton(page)).toBeDisabled();
  await expect(actionsPanel(page)).toContainText('Connect MioPay (Stripe) in Settings first.');
  await expect(heading(page, 'Payment Information', 2)).toBeVisible();
});
