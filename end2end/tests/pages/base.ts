import { expect, type BrowserContext, type Locator, type Page, type Response } from '@playwright/test';

declare global {
  interface Window {
    /** Set by a test; survives client-side navigation only. */
    __spaMarker?: number;
  }
}

const noScriptContexts = new WeakSet<BrowserContext>();

/** Tells waitForApp that pages of `context` run with JavaScript off (set by the fixtures). */
export function runsWithoutJavaScript(context: BrowserContext): void {
  noScriptContexts.add(context);
}

/**
 * Waits until the current document is interactive as the app. The app marks `<body
 * data-hydrated>` once hydration has finished; with JavaScript off there is nothing to wait for
 * (the server-rendered forms work by themselves). After a client-side navigation the mark is still
 * there from the first load, so this returns at once.
 */
export async function waitForApp(page: Page): Promise<void> {
  if (noScriptContexts.has(page.context())) return;
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 15_000 });
}

/** What every page of the app has, merchant's or customer's. */
export class AppPage {
  constructor(readonly page: Page) {}

  heading(name: string, level: number): Locator {
    return this.page.getByRole('heading', { name, level, exact: true });
  }

  /** page.goto plus waitForApp; returns the navigation's response. */
  async goto(path: string): Promise<Response | null> {
    const response = await this.page.goto(path);
    await this.waitForApp();
    return response;
  }

  async waitForApp(): Promise<void> {
    await waitForApp(this.page);
  }

  /** Marks the document, so that a reload (which would drop the mark) is noticed later. */
  async markDocument(): Promise<void> {
    await this.page.evaluate(() => {
      window.__spaMarker = 4242;
    });
  }

  /** The page marked by `markDocument` is still the same document: it was never reloaded. */
  async expectSameDocument(): Promise<void> {
    expect(await this.page.evaluate(() => window.__spaMarker), 'the page was reloaded').toBe(4242);
  }
}
