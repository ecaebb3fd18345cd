"""Coop · 共建联盟服务平台."""

import gc
import os
from datetime import UTC

import sqlalchemy as sa
from flask import Flask, has_request_context, request
from flask_babel import format_datetime
from werkzeug.middleware.proxy_fix import ProxyFix

from coop import config as settings
from coop import (
    i18n,
    sqlite,  # noqa: F401  (SQLite's pragmas; write transactions begin IMMEDIATE)
)
from coop.auth.cookie import RefreshedByPages
from coop.extensions import api, babel, csrf, db, migrate

LANGUAGES = ("zh", "en")
MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations")


# A page's statements each touch a few rows: on PostgreSQL, starting parallel workers (~10 ms)
# or compiling with JIT costs more than the query, and a crowd of requests each starting two
# workers starves the cores. The queue's worker and the clock pass BATCH and keep the server's
# settings for the monthly jobs' set-based queries.
INTERACTIVE_PG_OPTIONS = "-c max_parallel_workers_per_gather=0 -c jit=off"


def _interactive_sessions(app: Flask) -> None:
    if app.config.get("BATCH") or not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgres"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = f"{connect_args.get('options', '')} {INTERACTIVE_PG_OPTIONS}".strip()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    if config and config.get("TESTING"):
        app.config.from_object(settings.TestConfig)
        app.config.setdefault("LOGIN_RATE_LIMIT", "10 per 5 minutes")
        app.config.setdefault("REDIS_URL", None)
    else:
        app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.update(
        API_TITLE="Coop 共建联盟服务平台 API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_DEFAULT_TIMEZONE="Asia/Shanghai",
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
    )
    if config:
        app.config.update(config)
    if proxies := app.config.get("TRUSTED_PROXIES"):  # the client's address, scheme and host
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    app.session_interface = RefreshedByPages()

    from coop import edge

    edge.init_app(app)  # before the blueprints: their <int:…> routes use its converter
    _interactive_sessions(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    i18n.init_app(app)
    app.jinja_env.filters["datetimeformat"] = _datetimeformat
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}
    )
    api.spec.options["security"] = [{"bearer": []}]

    from coop import models  # noqa: F401
    from coop.auth import throttle

    throttle.init_app(app)
    _register_blueprints(app)

    from coop import errors

    errors.register(app)  # after api.init_app: ours replace flask-smorest's handler

    from coop import cli, forms, security, shell

    cli.register(app)
    shell.register_template_helpers(app)
    app.add_template_global(forms.form_token)
    security.init_app(app)  # headers on every response: pages, API, errors, static files

    from coop import queue

    queue.init_app(app)  # last: the task modules import services freely
    if not app.config.get("TESTING"):
        _freeze_what_lives_forever()
    return app


def _freeze_what_lives_forever() -> None:
    """The app, its mappers and the modules live as long as the process: ~355,000 objects the
    cycle collector would otherwise walk in every full collection (~200 ms, during which every
    thread of a gunicorn worker waits: the bursts of slow requests under load). Frozen, a full
    collection walks only what requests made (~9 ms)."""
    sa.orm.configure_mappers()
    gc.freeze()


def _register_blueprints(app: Flask) -> None:
    from coop.activities import api as activities_api
    from coop.activities import views as activities_views
    from coop.alliance import api as alliance_api
    from coop.alliance import views as alliance_views
    from coop.auditlog import api as auditlog_api
    from coop.auditlog import views as auditlog_views
    from coop.auth import api as auth_api
    from coop.auth import views as auth_views
    from coop.badges import api as badges_api
    from coop.badges import views as badges_views
    from coop.calendars import api as calendars_api
    from coop.calendars import views as calendars_views
    from coop.certificates import api as certificates_api
    from coop.certificates import views as certificates_views
    from coop.claims import api as claims_api
    from coop.claims import views as claims_views
    from coop.escalations import api as escalations_api
    from coop.escalations import views as escalations_views
    from coop.honours import api as honours_api
    from coop.honours import views as honours_views
    from coop.hours import api as hours_api
    from coop.hours import views as hours_views
    from coop.ledger import api as ledger_api
    from coop.ledger import views as ledger_views
    from coop.matching import api as matching_api
    from coop.matching import views as matching_views
    from coop.meetings import api as meetings_api
    from coop.meetings import views as meetings_views
    from coop.needs import api as needs_api
    from coop.needs import excel_views as needs_excel_views
    from coop.needs import views as needs_views
    from coop.notices import api as notices_api
    from coop.notices import settings_api as notice_settings_api
    from coop.notices import settings_views as notice_settings_views
    from coop.notices import views as notices_views
    from coop.people import api as people_api
    from coop.people import import_api as people_import_api
    from coop.people import import_views as people_import_views
    from coop.people import invitation_views as people_invitation_views
    from coop.people import views as people_views
    from coop.photos import api as photos_api
    from coop.photos import views as photos_views
    from coop.printables import api as printables_api
    from coop.printables import views as printables_views
    from coop.projects import api as projects_api
    from coop.projects import views as projects_views
    from coop.public import api as public_api
    from coop.public import views as public_views
    from coop.resources import api as resources_api
    from coop.resources import views as resources_views
    from coop.rewards import api as rewards_api
    from coop.rewards import manage_views as rewards_manage_views
    from coop.rewards import views as rewards_views
    from coop.search import api as search_api
    from coop.search import views as search_views
    from coop.setup import api as setup_api
    from coop.setup import first_run
    from coop.setup import views as setup_views
    from coop.shell import views as shell_views
    from coop.terms import api as terms_api
    from coop.terms import views as terms_views
    from coop.todo import api as todo_api
    from coop.todo import views as todo_views

    for blueprint in (
        shell_views.bp,
        auth_views.bp,
        alliance_views.bp,
        people_views.bp,
        people_import_views.bp,
        people_invitation_views.bp,
        needs_views.bp,
        resources_views.bp,
        projects_views.bp,
        claims_views.bp,
        needs_excel_views.bp,
        activities_views.bp,
        photos_views.bp,
        printables_views.bp,
        hours_views.bp,
        ledger_views.bp,
        notices_views.bp,
        notice_settings_views.bp,
        rewards_views.bp,
        rewards_manage_views.bp,
        badges_views.bp,
        terms_views.bp,
        honours_views.bp,
        meetings_views.bp,
        matching_views.bp,
        setup_views.bp,
        auditlog_views.bp,
        calendars_views.bp,
        search_views.bp,
        todo_views.bp,
        escalations_views.bp,
        public_views.bp,
        certificates_views.bp,
    ):
        app.register_blueprint(blueprint)
    # Before the first set-up, pages go to /setup and the API answers 503 not_set_up.
    app.before_request(first_run.gate)
    for blueprint in (
        auth_api.blp,
        alliance_api.blp,
        people_api.blp,
        people_import_api.blp,
        needs_api.blp,
        resources_api.blp,
        projects_api.blp,
        claims_api.blp,
        activities_api.blp,
        photos_api.blp,
        printables_api.blp,
        hours_api.blp,
        ledger_api.blp,
        rewards_api.blp,
        badges_api.blp,
        terms_api.blp,
        honours_api.blp,
        meetings_api.blp,
        matching_api.blp,
        notices_api.blp,
        setup_api.blp,
        auditlog_api.blp,
        calendars_api.blp,
        search_api.blp,
        notice_settings_api.blp,
        todo_api.blp,
        escalations_api.blp,
        public_api.blp,
        certificates_api.blp,
    ):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # the API authenticates with bearer tokens, never the cookie


def _datetimeformat(value, format: str | None = None) -> str:
    """flask-babel's filter, except that a time the community's zone cannot show (a row stored
    before dates were checked: 9999-12-31 23:00 UTC) is shown in UTC instead of failing the page."""
    try:
        return format_datetime(value, format)
    except OverflowError:
        return format_datetime(value.astimezone(UTC).replace(tzinfo=None), format, rebase=False)


def select_locale() -> str:
    if not has_request_context():  # jobs and the CLI speak Chinese
        return "zh"
    if request.path.startswith("/api/"):
        return request.accept_languages.best_match(LANGUAGES) or "zh"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    return chosen if chosen in LANGUAGES else "zh"
