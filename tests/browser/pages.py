"""What the browser tests do on any page: the main navigation, the phone-width check, and the
screenshots kept when COOP_SCREENSHOTS names a directory."""

import os
from pathlib import Path

from playwright.sync_api import Locator, Page


def nav(page: Page, label: str) -> Locator:
    return page.get_by_role("navigation", name="主导航").get_by_role("link", name=label, exact=True)


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    """Nothing pushes the page sideways on the phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
