"""Security headers: every response, whatever made it, carries one policy (coop/security.py).

The policy lets the browser run only our own scripts (no inline code, no eval), never frame a
page, never sniff a type, send no referrer to other sites, and (in production) stick to HTTPS.
"""

import json
import re
from pathlib import Path

import pytest

from coop import create_app
from coop.shell import _vendored
from tests.factories import bearer, login, make_community, make_secretary, make_volunteer

TEMPLATES = Path(__file__).resolve().parent.parent / "coop" / "templates"
HTMX = {"HX-Request": "true"}


def directives(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    parsed = {}
    for part in filter(None, (p.strip() for p in policy.split(";"))):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_secured(response) -> None:
    csp = directives(response)
    assert csp, f"{response.request.path} ({response.status_code}) has no Content-Security-Policy"
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert csp["script-src-attr"] == ["'none'"]  # no onclick="…"
    assert csp["style-src"] == ["'self'"]  # no <style> blocks or style="…" attributes
    assert csp["img-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"  # frame-ancestors for browsers without CSP 2
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # Over plain HTTP in development and tests a Strict-Transport-Security would pin the host.
    assert "Strict-Transport-Security" not in headers


@pytest.fixture
def community(ctx):
    return make_community()


def get(path, **kwargs):
    return lambda client, secretary: client.get(path, **kwargs)


def signed_in(path, **kwargs):
    def fetch(client, secretary):
        login(client, secretary)
        return client.get(path, **kwargs)

    return fetch


def with_token(method, path):
    return lambda client, secretary: client.open(path, method=method, headers=bearer(secretary))


# Each case: (how to get the response, the status it must have).
CASES = {
    "public page": (get("/login"), 200),
    "signed-in page": (signed_in("/my/notices"), 200),
    "htmx fragment": (signed_in("/todo/badge", headers=HTMX), 200),
    "redirect": (get("/"), 302),
    "page 404": (get("/no-such-page"), 404),
    "page 405": (get("/logout"), 405),
    "refused form (CSRF), flashed": (lambda c, s: c.post("/login", data={"username": "x"}), 302),
    "refused htmx post (CSRF)": (lambda c, s: c.post("/logout", headers=HTMX), 400),
    "htmx error fragment": (signed_in("/communities/0", headers=HTMX), 404),
    "API JSON": (with_token("GET", "/api/v1/communities"), 200),
    "API 401": (get("/api/v1/communities"), 401),
    "API 404": (get("/api/v1/no-such-thing"), 404),
    "API 405": (with_token("DELETE", "/api/v1/communities"), 405),
    "OpenAPI document": (get("/api/v1/openapi.json"), 200),
    "health check": (get("/healthz"), 200),
    "stylesheet": (get("/static/coop.css"), 200),
    "vendored script": (get(f"/static/vendor/{_vendored('htmx-')[0]}"), 200),
    "static 404": (get("/static/no-such-file.js"), 404),
}


@pytest.mark.parametrize("case", CASES)
def test_every_kind_of_response_carries_the_security_headers(client, community, case):
    fetch, status = CASES[case]

    response = fetch(client, make_secretary(community))

    assert response.status_code == status
    assert_secured(response)


def test_a_server_error_carries_the_security_headers():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500 as production does

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")

    assert response.status_code == 500
    assert_secured(response)


@pytest.mark.parametrize("env", ["development", "testing"])
def test_no_hsts_outside_production(env):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "COOP_ENV": env})

    response = app.test_client().get("/healthz")

    assert "Strict-Transport-Security" not in response.headers


def test_production_pins_https_on_every_response():
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "COOP_ENV": "production"}
    )
    client = app.test_client()

    for path in ("/healthz", "/login", "/static/coop.css", "/api/v1/openapi.json", "/nope"):
        response = client.get(path, base_url="https://coop.example")
        assert (
            response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        )
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_volunteers_page_configures_htmx_without_eval_or_injected_styles(client, community):
    login(client, make_volunteer(community))

    html = client.get("/my").get_data(as_text=True)

    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", html)
    assert config, "base.html sets htmx.config through a meta tag (read before htmx starts)"
    settings = json.loads(config[1])
    # allowEval: hx-on, js: values and trigger filters would need 'unsafe-eval'.
    # includeIndicatorStyles: htmx would inject a <style> that style-src 'self' refuses.
    assert settings["allowEval"] is False
    assert settings["includeIndicatorStyles"] is False


INLINE = {
    "inline <script> (no src)": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on attribute": re.compile(r"\shx-on[:-]", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "js: value in hx-vals/hx-vars": re.compile(r"hx-va(ls|rs)=[\"']\s*js:", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "<style> block": re.compile(r"<style[\s>]", re.I),
}


def test_no_template_carries_inline_script_or_style():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = re.sub(r"{#.*?#}", "", template.read_text(encoding="utf-8"), flags=re.S)
        for what, pattern in INLINE.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}")
    assert not found, "the CSP refuses these; move them to coop.js / coop.css:\n" + "\n".join(found)
