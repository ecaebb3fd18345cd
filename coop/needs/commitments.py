"""服务承诺: each community's time to answer and to solve a need, per category and urgency.

A cell the secretary never set reads as the default (``DEFAULT_COMMITMENTS``). A need's
deadlines are fixed when it comes in; changing a commitment applies to needs that come in
afterwards, never to those already waiting (a resident was told a date).
"""

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.categories import Category
from coop.errors import Invalid
from coop.extensions import db
from coop.needs import permissions
from coop.needs.models import DEFAULT_COMMITMENTS, ServiceCommitment, Urgency

# Urgent first: the order of the settings table's rows.
URGENCIES = (Urgency.URGENT, Urgency.SOON, Urgency.NORMAL)
MAX_RESPOND_HOURS = 720  # 30 days: a first answer promised later than that is no promise
MAX_RESOLVE_DAYS = 365


def default_cell(urgency: Urgency) -> dict:
    respond, resolve = DEFAULT_COMMITMENTS[urgency]
    return {
        "respond_hours": int(respond.total_seconds() // 3600),
        "resolve_days": resolve.days,
        "is_default": True,
    }


def commitments_of(community_id: int) -> list[dict]:
    """Every (category, urgency) cell of the community, its own value or the default."""
    own = {
        (row.category, row.urgency): row
        for row in db.session.scalars(
            sa.select(ServiceCommitment).where(ServiceCommitment.community_id == community_id)
        )
    }
    cells = []
    for category in Category:
        for urgency in URGENCIES:
            row = own.get((category, urgency))
            value = (
                {
                    "respond_hours": row.respond_hours,
                    "resolve_days": row.resolve_days,
                    "is_default": False,
                }
                if row is not None
                else default_cell(urgency)
            )
            cells.append({"category": category, "urgency": urgency, **value})
    return cells


def get_commitments(actor: User, community_id: int) -> list[dict]:
    """The community's commitments, for anyone who may see the community. :raise NotFound."""
    community = alliance_queries.get_community(actor, community_id)
    return commitments_of(community.id)


def cell_key(category, urgency) -> str:
    return f"{Category(category).value}.{Urgency(urgency).value}"


def set_commitments(actor: User, community_id: int, items: list[dict]) -> list[dict]:
    """The secretary sets the whole table: every category × urgency once, each with a time to
    answer (1–720 hours) and to solve (1–365 days) no shorter than the time to answer.

    :raise Forbidden: she does not manage the community. :raise Invalid: a cell missing or
    given twice, or solving promised before answering (nothing is changed).
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_manage_needs(actor, community))
    given: dict[tuple, dict] = {}
    errors: dict[str, list[str]] = {}
    for item in items:
        key = (Category(item["category"]), Urgency(item["urgency"]))
        if key in given:
            errors[cell_key(*key)] = [_("同一类别和紧急程度只能填写一次。")]
        given[key] = item
        if item["resolve_days"] * 24 < item["respond_hours"]:
            errors[cell_key(*key)] = [_("办结时限不能短于答复时限。")]
    missing = [(c, u) for c in Category for u in URGENCIES if (c, u) not in given]
    for key in missing:
        errors[cell_key(*key)] = [_("请填写这一项。")]
    if errors:
        raise Invalid(errors=errors)
    own = {
        (row.category, row.urgency): row
        for row in db.session.scalars(
            sa.select(ServiceCommitment)
            .where(ServiceCommitment.community_id == community.id)
            .with_for_update()
        )
    }
    for key, item in given.items():
        row = own.get(key)
        if row is None:
            row = ServiceCommitment(community_id=community.id, category=key[0], urgency=key[1])
            db.session.add(row)
        row.respond_hours = item["respond_hours"]
        row.resolve_days = item["resolve_days"]
    db.session.flush()
    return commitments_of(community.id)
