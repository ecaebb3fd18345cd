"""A per-request memo for what a request asks many times and cannot change while it runs (who
she is, which communities she sees). Not flask.g: g lives as long as the app context, which
tests (and nested requests) may share across several requests. Outside a request (jobs, the
shell, service tests) there is none and every call works its answer out again."""

from flask import has_request_context, request


def per_request() -> dict | None:
    return request.environ.setdefault("coop.memo", {}) if has_request_context() else None
