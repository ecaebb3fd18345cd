"""What the browser tests do on any page: the main navigation, the phone-width check, and the
screenshots kept when COOP_SCREENSHOTS names a directory."""

import os
from pathlib import Path

from playwright.sync_api import Locator, Page


def nav(page: Page, label: str) -> Locator:
    """The main menu's link, as a person reaches it: on a phone the pages a role uses less wait
    under 更多 (coop.shell.NavLink.phone), which is opened first when the bar lacks the link."""
    menu = page.get_by_role("navigation", name="主导航")
    link = menu.get_by_role("link", name=label, exact=True)
    more = menu.locator("details.nav-more")
    if link.count() == 0 and more.count() and not more.evaluate("details => details.open"):
        more.locator("summary").click()
    return link


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("COOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits_the_phone(page: Page) -> None:
    """Nothing pushes the page sideways on the phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
