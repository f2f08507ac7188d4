/**
 * Debian's chromium, driven by playwright-core, for the end-to-end tests that look at a page as a
 * person would: headless, no sandbox (CI runs as root), no GPU, nothing fetched from the network
 * by the browser itself, and a fresh profile removed afterwards. No browser is downloaded:
 * scripts/install.sh installs the `chromium` package.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Runs `fn` with a browser context of its own; the browser and its profile go when it returns. */
export async function withChromium<T>(fn: (browser: BrowserContext) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "charmkit-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1500 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** One panel of the stand-in's dashboard page, as the page reports it. */
export interface PanelView {
  readonly title: string;
  readonly state: string;
  readonly text: string;
  readonly series: { name: string; labels: Record<string, string> }[];
  readonly queries: string[];
}

/** The panels of a dashboard page once the page says it is ready. */
export async function panelsOf(browser: BrowserContext, url: string): Promise<PanelView[]> {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(url);
  await page.waitForSelector("body[data-state=ready], body[data-state=error]", { timeout: 30_000 });
  const state = await page.getAttribute("body", "data-state");
  if (state !== "ready") throw new Error(`the page failed: ${await page.textContent("#dashboard")}`);
  return page.$$eval("section.panel", (els) =>
    els.map((e) => {
      const el = e as HTMLElement;
      return {
        title: el.dataset.title ?? "",
        state: el.dataset.state ?? "",
        // The text a person sees (layout-aware, hidden elements left out), which is what the tests mean.
        // biome-ignore lint/performance/useDomNodeTextContent: textContent would include hidden text
        text: el.innerText,
        series: JSON.parse(el.dataset.series ?? "[]"),
        queries: JSON.parse(el.dataset.queries ?? "[]"),
      };
    }),
  );
}

/** Saves what the browser shows now (the whole page) to `file`. */
export async function screenshot(browser: BrowserContext, file: string): Promise<void> {
  const page = browser.pages()[0];
  if (page) await page.screenshot({ path: file, fullPage: true });
}
