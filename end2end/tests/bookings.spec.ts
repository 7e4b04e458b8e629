import type { Page } from '@playwright/test';
import {
  actionsPanel,
  createCustomer,
  expect,
  fullName,
  heading,
  isProfileUrl,
  mainMenu,
  newCustomer,
  newMerchant,
  open,
  signUp,
  test,
  waitForApp,
} from './helpers';

// New booking on a customer's profile (a dialog in the Actions panel) → the booking under the
// profile's Bookings with what is owed → the Bookings page from the main menu.

test.describe.configure({ mode: 'parallel' });

/** `days` from today (UTC: there is no merchant time zone yet) as a datetime-local value. */
function startsIn(days: number, time: string): { typed: string; shown: string } {
  const date = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  return { typed: `${date}T${time}`, shown: `${date} ${time}` };
}

function bookingsRegion(page: Page) {
  return page.getByRole('region', { name: 'Bookings', exact: true });
}

function bookingItem(page: Page, title: string) {
  return bookingsRegion(page)
    .getByRole('listitem')
    .filter({ has: page.getByRole('heading', { name: title, level: 3, exact: true }) });
}

/** The amount shown beside `term` ("Total", "Paid", "Balance") in a booking. */
function amount(item: ReturnType<typeof bookingItem>, term: string) {
  return item.locator(`dt:text-is("${term}") + dd`);
}

test('New booking from the profile: under Bookings with its balance, and on the Bookings page', async ({
  page,
}) => {
  const merchant = newMerchant('bookings');
  const customer = newCustomer('bookings');
  const title = 'Sunset kayak tour';
  const when = startsIn(7, '18:30');
  await signUp(page, merchant);

  await test.step('the Bookings page starts empty and says where bookings come from', async () => {
    await mainMenu(page).getByRole('link', { name: 'Bookings', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/bookings');
    await expect(heading(page, 'Bookings', 1)).toBeVisible();
    await expect(page.getByText('No upcoming bookings.')).toBeVisible();
    await expect(page.getByText("Bookings are created from a customer's profile")).toBeVisible();
  });

  await createCustomer(page, customer);
  await expect(bookingsRegion(page).getByText('No bookings yet.')).toBeVisible();
  const actions = actionsPanel(page);
  const newBooking = actions.getByRole('button', { name: 'New booking', exact: true });
  const dialog = page.getByRole('dialog', { name: 'New booking' });

  await test.step('New booking opens the dialog; bad fields are refused, each with its message', async () => {
    await newBooking.click();
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('What', { exact: true })).toBeFocused();
    // The total is in the merchant's currency; no card on file yet, so No card.
    await expect(dialog.getByText('USD', { exact: true })).toBeVisible();
    await expect(dialog.getByLabel('Card', { exact: true })).toHaveValue('');
    await expect(dialog.getByLabel('Card', { exact: true }).locator('option')).toHaveText(['No card']);

    await dialog.getByLabel('What', { exact: true }).fill(title);
    await dialog.getByLabel('Date and time', { exact: true }).fill(when.typed);
    await dialog.getByLabel('Participants', { exact: true }).fill('0');
    await dialog.getByLabel('Total', { exact: true }).fill('120.005');
    await dialog.getByRole('button', { name: 'Create booking', exact: true }).click();
    await expect(dialog.getByText('Enter a whole number of participants from 1 to 500.')).toBeVisible();
    await expect(dialog.getByText('Enter at most 2 decimal places.')).toBeVisible();
    await expect(dialog.getByLabel('Participants', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByLabel('What', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
    await expect(bookingsRegion(page).getByText('No bookings yet.')).toBeVisible();
  });

  await test.step('Escape closes it; opened again it starts clean', async () => {
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(newBooking).toBeFocused();
    await newBooking.click();
    await expect(dialog.getByText('Enter at most 2 decimal places.')).toHaveCount(0);
  });

  await test.step('valid values: the dialog closes and the booking shows under Bookings', async () => {
    await dialog.getByLabel('What', { exact: true }).fill(title);
    await dialog.getByLabel('Date and time', { exact: true }).fill(when.typed);
    await dialog.getByLabel('Participants', { exact: true }).fill('4');
    await dialog.getByLabel('Total', { exact: true }).fill('120');
    await dialog.getByRole('button', { name: 'Create booking', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect(actions.getByRole('status').filter({ hasText: 'Booked' })).toHaveText(
      `Booked ${title} on ${when.shown}.`,
    );

    const item = bookingItem(page, title);
    await expect(item).toBeVisible();
    await expect(amount(item, 'Total')).toHaveText('$120.00');
    await expect(amount(item, 'Paid')).toHaveText('$0.00');
    await expect(amount(item, 'Balance')).toHaveText('$120.00');
    await expect(item.getByText('Not paid', { exact: true })).toBeVisible();
    await expect(item).toContainText(`${when.shown} · 4 participants`);
    await expect(item.getByText('No card', { exact: true })).toBeVisible();
    await expect(item.getByRole('button', { name: 'Charge balance', exact: true })).toBeVisible();
    await expect(bookingsRegion(page).getByText('No bookings yet.')).toHaveCount(0);
  });

  await test.step('main menu → Bookings lists it; the customer links back to the profile', async () => {
    await mainMenu(page).getByRole('link', { name: 'Bookings', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/bookings');
    await expect(heading(page, 'Bookings', 1)).toBeVisible();
    const row = page.getByRole('row').filter({ hasText: title });
    await expect(row.getByRole('cell')).toHaveText([
      title,
      when.shown,
      fullName(customer),
      '4',
      '$120.00',
      '$120.00',
      'Not paid',
    ]);
    // With past bookings shown the list starts earlier and still holds this one.
    await page.getByRole('link', { name: 'Show past bookings', exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get('past') === '1');
    await expect(page.getByRole('row').filter({ hasText: title })).toHaveCount(1);

    await row.getByRole('link', { name: fullName(customer), exact: true }).click();
    await page.waitForURL(isProfileUrl);
    await expect(heading(page, fullName(customer), 1)).toBeVisible();
    await expect(bookingItem(page, title)).toBeVisible();
  });
});

test('Settings → Currency: saved for the merchant and used by New booking', async ({ page }) => {
  const merchant = newMerchant('currency');
  await signUp(page, merchant);
  await open(page, '/settings');
  const section = page.getByRole('region', { name: 'Bookings and charges' });
  const currency = section.getByLabel('Currency', { exact: true });
  await expect(currency).toHaveValue('usd');
  await currency.selectOption({ label: 'EUR (€)' });
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/update_currency'));
  await section.getByRole('button', { name: 'Save', exact: true }).click();
  expect((await saved).status()).toBe(200);
  await page.reload();
  await waitForApp(page);
  await expect(
    page.getByRole('region', { name: 'Bookings and charges' }).getByLabel('Currency', { exact: true }),
  ).toHaveValue('eur');

  await createCustomer(page, newCustomer('currency'));
  await actionsPanel(page).getByRole('button', { name: 'New booking', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'New booking' });
  await expect(dialog.getByText('EUR', { exact: true })).toBeVisible();
  await dialog.getByLabel('What', { exact: true }).fill('Harbour cruise');
  await dialog.getByLabel('Date and time', { exact: true }).fill(startsIn(3, '10:00').typed);
  await dialog.getByLabel('Total', { exact: true }).fill('99.5');
  await dialog.getByRole('button', { name: 'Create booking', exact: true }).click();
  await expect(amount(bookingItem(page, 'Harbour cruise'), 'Balance')).toHaveText('€99.50');
});
