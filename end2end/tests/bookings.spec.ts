import { fullName, newCustomer } from './data';
import { expect, test } from './fixtures';
import { isProfileUrl } from './pages/customers';

// New booking on a customer's profile (a dialog in the Actions panel) → the booking under the
// profile's Bookings with what is owed → the Bookings page from the main menu.

test.describe.configure({ mode: 'parallel' });

/** `days` from today (UTC: there is no merchant time zone yet) as a datetime-local value. */
function startsIn(days: number, time: string): { typed: string; shown: string } {
  const date = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  return { typed: `${date}T${time}`, shown: `${date} ${time}` };
}

test('New booking from the profile: under Bookings with its balance, and on the Bookings page', async ({
  page,
  app,
}) => {
  const customer = newCustomer('bookings');
  const title = 'Sunset kayak tour';
  const when = startsIn(7, '18:30');

  await test.step('the Bookings page starts empty and says where bookings come from', async () => {
    await app.fromMainMenu('Bookings');
    await expect(app.heading('Bookings', 1)).toBeVisible();
    await expect(page.getByText('No upcoming bookings.')).toBeVisible();
    await expect(page.getByText("Bookings are created from a customer's profile")).toBeVisible();
  });

  const profile = await app.customers.create(customer);
  const noBookings = profile.bookings.getByText('No bookings yet.');
  await expect(noBookings).toBeVisible();
  const newBooking = profile.action('New booking');
  const dialog = profile.newBookingDialog;

  await test.step('New booking opens the dialog; bad fields are refused, each with its message', async () => {
    await newBooking.click();
    await expect(dialog.root).toBeVisible();
    await expect(dialog.what).toBeFocused();
    // The total is in the merchant's currency; no card on file yet, so No card.
    await expect(dialog.root.getByText('USD', { exact: true })).toBeVisible();
    await expect(dialog.card).toHaveValue('');
    await expect(dialog.card.locator('option')).toHaveText(['No card']);

    await dialog.fill({ title, startsAt: when.typed, participants: '0', total: '120.005' });
    await dialog.submit.click();
    await expect(dialog.root.getByText('Enter a whole number of participants from 1 to 500.')).toBeVisible();
    await expect(dialog.root.getByText('Enter at most 2 decimal places.')).toBeVisible();
    await expect(dialog.participants).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.what).not.toHaveAttribute('aria-invalid', 'true');
    await expect(noBookings).toBeVisible();
  });

  await test.step('Escape closes it; opened again it starts clean', async () => {
    await page.keyboard.press('Escape');
    await expect(dialog.root).toHaveCount(0);
    await expect(newBooking).toBeFocused();
    await newBooking.click();
    await expect(dialog.root.getByText('Enter at most 2 decimal places.')).toHaveCount(0);
  });

  await test.step('valid values: the dialog closes and the booking shows under Bookings', async () => {
    await dialog.fill({ title, startsAt: when.typed, participants: '4', total: '120' });
    await dialog.submit.click();
    await expect(dialog.root).toHaveCount(0);
    await expect(profile.actions.getByRole('status').filter({ hasText: 'Booked' })).toHaveText(
      `Booked ${title} on ${when.shown}.`,
    );

    const booking = profile.booking(title);
    const item = booking.root;
    await expect(item).toBeVisible();
    await expect(booking.money('Total')).toHaveText('$120.00');
    await expect(booking.money('Paid')).toHaveText('$0.00');
    await expect(booking.money('Balance')).toHaveText('$120.00');
    await expect(item.getByText('Not paid', { exact: true })).toBeVisible();
    await expect(item).toContainText(`${when.shown} · 4 participants`);
    await expect(item.getByText('No card', { exact: true })).toBeVisible();
    await expect(booking.chargeBalance).toBeVisible();
    await expect(noBookings).toHaveCount(0);
  });

  await test.step('main menu → Bookings lists it; the customer links back to the profile', async () => {
    await app.fromMainMenu('Bookings');
    await expect(app.heading('Bookings', 1)).toBeVisible();
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
    await expect(profile.heading(fullName(customer), 1)).toBeVisible();
    await expect(profile.booking(title).root).toBeVisible();
  });
});

test('Settings → Currency: saved for the merchant and used by New booking', async ({
  page,
  app,
}) => {
  const { settings } = app;
  await settings.open();
  const currency = settings.section('Bookings and charges').getByLabel('Currency', { exact: true });
  await expect(currency).toHaveValue('usd');
  await currency.selectOption({ label: 'EUR (€)' });
  const saved = page.waitForResponse((r) => r.url().endsWith('/api/update_currency'));
  await settings.section('Bookings and charges').getByRole('button', { name: 'Save', exact: true }).click();
  expect((await saved).status()).toBe(200);
  await page.reload();
  await settings.waitForApp();
  await expect(currency).toHaveValue('eur');

  const profile = await app.customers.create(newCustomer('currency'));
  const dialog = profile.newBookingDialog;
  await profile.action('New booking').click();
  await expect(dialog.root.getByText('EUR', { exact: true })).toBeVisible();
  await dialog.fill({ title: 'Harbour cruise', startsAt: startsIn(3, '10:00').typed, total: '99.5' });
  await dialog.submit.click();
  await expect(profile.booking('Harbour cruise').money('Balance')).toHaveText('€99.50');
});
