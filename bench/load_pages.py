"""What ``load.py`` opens, per role: the pages, and how a page names the fragments it loads
itself. Shared by the locust users (``load_users.py``) and the one-at-a-time pass; kept apart
because importing locust patches the process for gevent."""

import re

PAGES = {
    # role -> [(name, path template, weight)]
    "volunteer": [
        ("volunteer 待办", "/", 3),
        ("volunteer my activities", "/my/activities", 2),
        ("volunteer my points", "/my/points", 2),
        ("volunteer supermarket", "/supermarket", 2),
        ("volunteer my badges", "/my/badges", 1),
        ("volunteer project menu", "/communities/{c}/menu", 2),
        ("volunteer my claims", "/my/claims", 1),
        ("volunteer notices", "/my/notices", 1),
        ("volunteer me", "/me", 1),
    ],
    "secretary": [
        ("secretary 待办", "/", 2),
        ("secretary dashboard", "/communities/{c}", 3),
        ("secretary hours", "/communities/{c}/hours", 2),
        ("secretary matching", "/communities/{c}/matching", 1),
        ("secretary claims review", "/communities/{c}/claims", 2),
        ("secretary needs", "/communities/{c}/needs", 2),
        ("secretary people", "/communities/{c}/people", 1),
        ("secretary activities", "/communities/{c}/activities", 1),
        ("secretary projects", "/communities/{c}/projects", 1),
    ],
    "liaison": [
        ("liaison 待办", "/", 2),
        ("liaison project menu", "/communities/{c}/menu", 3),
        ("liaison orders", "/orders", 1),
        ("liaison my claims", "/my/claims", 2),
        ("liaison projects", "/communities/{c}/projects", 1),
    ],
}
LOAD_TAG = re.compile(r"<[^>]*hx-trigger=\"load\"[^>]*>")
HX_GET = re.compile(r'hx-get="([^"]+)"')


# The request header naming the page or fragment, logged by gunicorn (``load.py``).
PAGE_HEADER = "X-Bench-Page"


def fragment_name(path: str) -> str:
    """``/communities/12/honours`` -> ``fragment /communities/[id]/honours``."""
    return "fragment " + re.sub(r"/\d+", "/[id]", path.split("?")[0])
