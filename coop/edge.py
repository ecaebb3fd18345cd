"""What every request must be before a view sees it: ids that fit their columns and text the
database can store. Bad input is refused here with a 4xx and never reaches PostgreSQL, where it
would be a DataError (500) or, worse, be stored and break every list that shows it.

The API checks its text in its argument parser (coop.apidoc.CoopParser), after the sign-in
check, so that no token stays a 401; pages are checked by the hook below.
"""

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from coop.errors import Invalid
from coop.schemas import INT32_MAX, UNSTORABLE_MESSAGE, unstorable_text


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: 1 … 2³¹−1, what an id column holds. A larger number matches
    no route, so it is a 404 like any other id that names no row."""

    def __init__(self, map, fixed_digits=0, min=1, max=INT32_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def refuse_unstorable_text() -> None:
    """A page request whose path, query or form carries a NUL or a lone surrogate is a 422 with
    the field named. :raise Invalid."""
    if request.path.startswith("/api/"):
        return  # checked by the API's parser, once the token is
    found = unstorable_text(request.path, "path")
    for values in (request.args, request.form):
        for key, items in values.lists():
            found.update(unstorable_text(key, key) or unstorable_text(items, key))
    if found:
        raise Invalid(UNSTORABLE_MESSAGE, code="unstorable_text", errors=found)


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes compile their converters when added."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_text)
