"""A per-request memo for what a request asks many times over (which communities she sees).
Not flask.g: g lives as long as the app context, which tests (and nested requests) may share
across several requests. Outside a request (jobs, the shell) there is none and every call works
its answer out again. Anything the session writes (a flush, a commit, a rollback) empties it, so
an answer never outlives the rows it was worked out from: a request that adds a membership and
then asks again gets the new answer."""

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "coop.memo"


def per_request() -> dict | None:
    return request.environ.setdefault(_KEY, {}) if has_request_context() else None


def forget(*_) -> None:
    if has_request_context():
        request.environ.pop(_KEY, None)


for _moment in ("after_flush", "after_commit", "after_soft_rollback"):
    event.listen(Session, _moment, forget)
