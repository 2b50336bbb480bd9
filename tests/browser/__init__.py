"""Browser tests of the built static book (Chromium via Playwright)."""
