/** prometheus_scrape interface library (both sides). */
export {};
