"""What every JSON endpoint shares: the error shape, paging, and documenting error statuses."""

import decimal
import functools

import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Api
from webargs.flaskparser import FlaskParser

from coop.schemas import INT32_MAX, unstorable_text


class ErrorSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "snake_case error code, e.g. not_found"})
    status = ma.fields.Integer(metadata={"description": "HTTP status"})
    message = ma.fields.String(metadata={"description": "Human message in the user's language"})
    errors = ma.fields.Dict(metadata={"description": "Field name → list of messages"})


class CoopApi(Api):
    ERROR_SCHEMA = ErrorSchema

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_numeric_bounds)
        plugin = ErrorStatusesPlugin()
        plugin.init_spec(self.spec)
        self.spec.plugins.append(plugin)


class ErrorStatusesPlugin(BasePlugin):
    """Documents the error statuses any operation of its shape can answer, so no operation has
    to remember them: 401 when it needs a token, 404 when its path names a row (an unknown or
    out-of-range id), 400 and 422 when it reads a body (malformed JSON, invalid fields), 422
    when it reads a query, and 503 always: before the first set-up (``not_set_up``) and while
    the database is busy or away. Operations add their own (403, 409, 429) with
    ``documents_errors``."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict) or method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            wanted = []
            if operation.get("security", True) != []:
                wanted.append(401)
            if "{" in (path or ""):
                wanted.append(404)
            if "requestBody" in operation:
                wanted += [400, 422]
            if any(isinstance(p, dict) and p.get("in") == "query" for p in parameters):
                wanted.append(422)
            wanted.append(503)
            for status in wanted:
                responses.setdefault(str(status), _STATUS_NAMES[status])


_METHODS = {"get", "post", "put", "patch", "delete"}


def _numeric_bounds(converter, field, ret, **kwargs) -> dict:
    """A Decimal field's Range comes out of apispec as strings ("24.00"); OpenAPI wants numbers."""
    return {
        key: float(ret[key]) if isinstance(ret[key], str | decimal.Decimal) else ret[key]
        for key in ("minimum", "maximum")
        if key in ret and isinstance(field, ma.fields.Number)
    }


def _multidict_text(values) -> dict:
    found: dict = {}
    for key, items in values.lists():
        found.update(unstorable_text(key, key) or unstorable_text(items, key))
    return found


class CoopParser(FlaskParser):
    """webargs' parser, refusing text the database cannot store (a NUL, a lone surrogate) in
    the body, the query or a form, as a 422 under the field's name, before any schema or
    service sees it."""

    def _raw_load_json(self, req):
        data = super()._raw_load_json(req)
        _refuse(unstorable_text(data) if data is not ma.missing else {})
        return data

    def load_querystring(self, req, schema):
        _refuse(_multidict_text(req.args))
        return super().load_querystring(req, schema)

    def load_form(self, req, schema):
        _refuse(_multidict_text(req.form))
        return super().load_form(req, schema)


def _refuse(found: dict) -> None:
    if found:
        raise ma.ValidationError({key.split(".")[0]: messages for key, messages in found.items()})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = CoopParser()


class PageArgs(ma.Schema):
    page = ma.fields.Integer(
        load_default=1,
        validate=[
            ma.validate.Range(min=1, error="页码应为 1 或更大的整数。"),
            ma.validate.Range(max=INT32_MAX, error="页码过大。"),
        ],
    )
    per_page = ma.fields.Integer(
        load_default=50,
        validate=ma.validate.Range(min=1, max=200, error="每页条数应为 1–200。"),
    )


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema)),
            "total": ma.fields.Integer(),
            "page": ma.fields.Integer(),
            "per_page": ma.fields.Integer(),
        },
        name=f"{item_schema.__name__.removesuffix('Schema').removesuffix('Out')}Page",
    )


_STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


def documents_errors(blp, *statuses: int):
    """Add each error status to the operation's OpenAPI responses, with the shared error shape."""

    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, response=_STATUS_NAMES[status])(view)
        return functools.wraps(view)(view)

    return decorate


def signed_in_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """An /api/v1 blueprint whose every request needs a live token: a request without one gets
    its 401 before the body is read, so no token never turns into a 422."""
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1", description=description)

    @blueprint.before_request
    def _signed_in():
        from coop.auth.current import require_actor  # the auth package imports this module

        require_actor()

    return blueprint
