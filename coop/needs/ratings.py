"""满意度评价 of a need's resolution: once per resolution, by the requester or 代评 by staff; a
low rating reopens the need for the secretary (回访). Also the community's satisfaction rate."""

from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.auth.models import User
from coop.errors import Forbidden, Invalid
from coop.extensions import db
from coop.needs import permissions, queries, service
from coop.needs.errors import AlreadyRated, NeedNotRateable
from coop.needs.models import Need, NeedRating, NeedStatus
from coop.notices import recipients
from coop.notices.service import notify
from coop.timeutil import local_midnight, month_start, next_month

REOPEN_AT = 2  # a rating of this many stars or fewer sends the need back to the list
SATISFIED_AT = 4  # 满意: this many stars or more (docs/decisions.md, "Ratings")
STAR_WORDS = {1: _l("很不满意"), 2: _l("不满意"), 3: _l("一般"), 4: _l("满意"), 5: _l("非常满意")}


def star_words(stars: int) -> str:
    return str(STAR_WORDS[stars])


def star_label(stars: int) -> str:
    """What the star button says: 1 星 很不满意 … 5 星 非常满意."""
    return _("%(n)d 星 %(words)s", n=stars, words=star_words(stars))


def rateable(need: Need) -> bool:
    """Solved now, or solved and then archived (a rejected need was never solved)."""
    if need.resolution_round < 1:
        return False
    if need.status is NeedStatus.RESOLVED:
        return True
    return need.status is NeedStatus.CLOSED and need.rejected_at is None and not need.reject_reason


def rating_of_round(need: Need) -> NeedRating | None:
    """The rating of the need's latest resolution, if it has one."""
    return db.session.scalar(
        sa.select(NeedRating).where(
            NeedRating.need_id == need.id, NeedRating.round == need.resolution_round
        )
    )


def open_callback(need: Need) -> NeedRating | None:
    """The low rating that reopened the need and still waits (回访): the need is back on the list
    or in a project, not yet solved again."""
    if need.status not in (NeedStatus.LISTED, NeedStatus.IN_PROJECT):
        return None
    rating = rating_of_round(need)
    return rating if rating is not None and rating.reopened else None


def may_rate(actor: User | None, need: Need) -> bool:
    """Whether the need's page offers the actor the rating form now (herself or 代评)."""
    return (
        (permissions.can_rate_need(actor, need) or permissions.can_rate_on_behalf(actor, need))
        and rateable(need)
        and rating_of_round(need) is None
    )


def rate(
    actor: User,
    need_id: int,
    *,
    stars: int,
    comment: str = "",
    now: datetime,
    on_behalf: bool = False,
) -> NeedRating:
    """The requester rates her solved need, once per resolution; staff rate on behalf (代评) of a
    requester without an account. Two stars or fewer reopen the need with the comment (回访)
    and tell the community's staff.

    :raise NotFound: she may not see the need. :raise Forbidden: not hers, or 代评 of someone
    who rates herself. :raise Invalid: stars outside 1–5. :raise NeedNotRateable: not solved.
    :raise AlreadyRated: this resolution has its rating.
    """
    need = queries.get_need(actor, need_id, for_update=True)
    if on_behalf:
        if not permissions.can_rate_on_behalf(actor, need):
            if permissions.can_manage_needs(actor, need.community):
                raise Forbidden(_("提出需求的居民有账号，请由她本人在手机上评价。"))
            raise Forbidden(_("只有社区工作人员可以代评。"))
    elif not permissions.can_rate_need(actor, need):
        raise Forbidden(_("只有提出需求的居民本人可以评价。"))
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise Invalid(errors={"stars": [_("请选择 1 到 5 星。")]})
    if rating_of_round(need) is not None:  # also when her low rating reopened it
        raise AlreadyRated()
    if not rateable(need):
        raise NeedNotRateable()
    reopen = stars <= REOPEN_AT
    rating = NeedRating(
        need_id=need.id,
        round=need.resolution_round,
        stars=stars,
        comment=comment,
        rated_by_id=actor.id,
        on_behalf=on_behalf,
        reopened=reopen,
        created_at=now,
    )
    try:  # the row lock above serialises raters; the unique (need, round) backs it up
        with db.session.begin_nested():
            db.session.add(rating)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise AlreadyRated() from error
    if reopen:
        # Open again everywhere, due afresh from the rating; the rating and the need's record
        # keep what was tried.
        service.reopen_need(need, now=now)
    db.session.flush()
    if reopen:
        _tell_staff(actor, need, rating)
    return rating


def _tell_staff(actor: User, need: Need, rating: NeedRating) -> None:
    body = _(
        "“%(title)s”被评为 %(stars)d 星（%(words)s），已回到需求清单，请回访。",
        title=need.title,
        stars=rating.stars,
        words=star_words(rating.stars),
    )
    if rating.comment:
        body += _("居民意见：%(comment)s", comment=rating.comment)
    for user_id in recipients.secretaries(need.community_id):
        if user_id != actor.id:
            notify(user_id, _("需求评价较低，已重新打开"), body=body, link=f"/needs/{need.id}")


def satisfaction(community_id: int, month: date) -> tuple[int, int]:
    """(satisfied, all): the community's ratings given in ``month`` (Asia/Shanghai), and those
    of them with 4 or 5 stars. One statement."""
    return satisfaction_by_month(community_id, [month])[0]


def satisfaction_by_month(community_id: int, months: list[date]) -> list[tuple[int, int]]:
    """``satisfaction`` for each of ``months``, in their order: one statement for them all."""
    bounds = [(local_midnight(month_start(m)), local_midnight(next_month(m))) for m in months]
    columns = []
    for start, end in bounds:
        given = sa.and_(NeedRating.created_at >= start, NeedRating.created_at < end)
        columns += [
            sa.func.count().filter(given, NeedRating.stars >= SATISFIED_AT),
            sa.func.count().filter(given),
        ]
    row = db.session.execute(
        sa.select(*columns)
        .join(Need, Need.id == NeedRating.need_id)
        .where(
            Need.community_id == community_id,
            NeedRating.created_at >= min(start for start, _end in bounds),
            NeedRating.created_at < max(end for _start, end in bounds),
        )
    ).one()
    return [(row[2 * i], row[2 * i + 1]) for i in range(len(months))]


def satisfaction_rate(community_id: int, month: date) -> float | None:
    """满意率: the share of the month's ratings with 4 or 5 stars (代评 included); None when
    nobody rated that month."""
    satisfied, total = satisfaction(community_id, month)
    return satisfied / total if total else None
