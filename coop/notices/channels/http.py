"""The HTTP call behind the SMS and WeChat adapters, small enough to swap for a recording fake.

``Transport.request(method, url, json=…, params=…, headers=…)`` returns ``(status, data)``: the
HTTP status and the decoded JSON body ({} when there is none or it is not JSON). It raises only
when no answer came (connection refused, timeout) — the channel decides what a status means.
"""

import json as jsonlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

TIMEOUT_SECONDS = 10  # well inside the delivery's lease (coop.notices.delivery.LEASE)


class Transport(Protocol):
    def request(
        self,
        method: str,
        url: str,
        *,
        json: dict | None = None,
        params: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict]: ...


def _decode(raw: bytes) -> dict:
    try:
        data = jsonlib.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


class UrllibTransport:
    """The standard library's HTTP client: HTTPS with the system's certificates."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def request(self, method, url, *, json=None, params=None, headers=None):
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        body = None
        sent = {"Accept": "application/json", **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            sent["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(url, data=body, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _decode(response.read())
        except urllib.error.HTTPError as error:  # an answer, just not a 2xx
            return error.code, _decode(error.read())


@dataclass
class Call:
    method: str
    url: str
    json: dict | None
    params: dict | None
    headers: dict


@dataclass
class RecordingTransport:
    """Records each call and answers with ``reply(call)`` (default 200 {}): the tests' network."""

    reply: Callable[[Call], tuple[int, dict]] = lambda call: (200, {})
    calls: list[Call] = field(default_factory=list)

    def request(self, method, url, *, json=None, params=None, headers=None):
        call = Call(method, url, json, params, dict(headers or {}))
        self.calls.append(call)
        return self.reply(call)
