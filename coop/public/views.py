"""The 公示栏 pages: anyone reads them, signed in or not, and a cache may keep them a minute.

They are rendered from the public queries only, without the site's layout: no menu, no sign-out
button, no CSRF token, nothing read from the session, so the page is the same for every reader
(and may be cached as such) and no cookie is set. The language comes from the address
(``?lang=en``), not from a cookie, for the same reason. The staff's switch that keeps a need off
the board is here too: a signed-in page like any other.
"""

import segno
from flask import Blueprint, current_app, flash, make_response, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from coop import LANGUAGES
from coop.auth.current import login_required, require_actor
from coop.categories import Category
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.htmx import is_htmx, render
from coop.needs import permissions as need_permissions
from coop.needs import service as need_service
from coop.public import cache, queries
from coop.public.queries import SHOWN_STATUSES
from coop.public.schemas import BoardPageArgs, PublicIn
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("board", __name__)

MAX_AGE = 60
PRINT_NEEDS = 12


def cacheable(response):
    """Public for a minute, with an ETag of the body: a reader's second look in that minute, or
    a proxy's, costs nothing; after it a 304 when nothing changed."""
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.add_etag()
    return response.make_conditional(request)


def _language() -> str:
    chosen = request.args.get("lang", "")
    return chosen if chosen in LANGUAGES else "zh"


def _render(template: str, **context) -> str:
    """The template alone: no context processors, which would read the session for the menu."""
    return current_app.jinja_env.get_template(template).render(**context)


def _filters() -> tuple[dict, bool]:
    """The page's filters, and whether some were ignored: a link from before (a printed QR
    code, a shared address) may carry a filter the page no longer offers (?status=submitted);
    its reader gets the board without it, with a note, not an error page. The API says 422."""
    data, errors = load_form(BoardPageArgs(), request.args)
    if not errors:
        return data, False
    refused = [name for name in errors if name in BoardPageArgs().fields]
    data, _errors = load_form(BoardPageArgs(exclude=refused), request.args)
    return {"page": 1, **data}, True


@bp.get("/board/<int:community_id>")
def page(community_id: int):
    locale = _language()
    args, ignored = _filters()
    variant = f"page:{locale}:{args.get('status')}:{args.get('category')}:{args['page']}"
    if ignored:
        variant += ":ignored"

    def build() -> bytes:
        with force_locale(locale):
            board = queries.board(community_id, utcnow(), **args)
            return _render(
                "board/page.html",
                board=board,
                locale=locale,
                statuses=[(s.value, s.label) for s in SHOWN_STATUSES],
                categories=[(c.value, c.label) for c in Category],
                chosen={k: (v.value if v is not None else "") for k, v in board.filters.items()},
                ignored=ignored,
            ).encode()

    return cacheable(make_response(cache.cached(community_id, variant, build)))


@bp.get("/board/<int:community_id>/print")
def printable(community_id: int):
    """A4 for the notice board in the hall, with a QR code that leads to the live page."""
    locale = _language()
    link = url_for("board.page", community_id=community_id, _external=True)

    def build() -> bytes:
        with force_locale(locale):
            board = queries.board(community_id, utcnow(), per_page=PRINT_NEEDS)
            qr = segno.make(link, "m", micro=False).svg_inline(scale=4, title=_("公示栏二维码"))
            return _render(
                "board/print.html",
                board=board,
                locale=locale,
                link=link,
                qr=Markup(qr),
                now=utcnow(),
            ).encode()

    return cacheable(make_response(cache.cached(community_id, f"print:{locale}:{link}", build)))


@bp.post("/needs/<int:need_id>/public")
@login_required
def need_public(need_id: int):
    """Staff show a need on the 公示栏 or keep it off; htmx swaps the switch in place."""
    actor = require_actor()
    data, errors = load_form(PublicIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        need = need_service.set_need_public(actor, need_id, data["public"])
    if is_htmx():
        return render(
            "board/_need_public.html",
            need=need,
            can_manage=need_permissions.can_manage_needs(actor, need.community),
        )
    flash(_("已在公示栏展示。") if need.public else _("已从公示栏撤下。"), "success")
    return redirect(url_for("needs.detail", need_id=need.id))
