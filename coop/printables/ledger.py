"""月度台账: a community's month — its figures, the activities held with their photos — as an
A4 PDF, made outside the request by the task queue and kept until downloaded.

The figures are ``coop.stats_monthly``'s (the same queries as the dashboard's charts and the
street's comparison); photos are the activities' own (``coop.photos``)."""

import base64
import logging
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from coop import queue, stats_monthly
from coop.activities.models import Activity, ActivityStatus, Signup
from coop.alliance import queries as alliance_queries
from coop.alliance.permissions import can_manage_community, require
from coop.auth.models import User
from coop.dbtypes import utcnow
from coop.documents.pdf import render_pdf
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.photos.models import ActivityPhoto
from coop.printables.models import DONE, FAILED, RUNNING, LedgerReport
from coop.timeutil import COMMUNITY_TZ, month_start
from coop.uow import unit_of_work

logger = logging.getLogger(__name__)


def _first_of(key: str) -> date:
    return date(int(key[:4]), int(key[5:7]), 1)


def request_ledger(actor: User, community_id: int, month: str, *, today: date) -> LedgerReport:
    """Queue the 台账 of ``month`` (YYYY-MM, already well-formed) for the community's staff.

    :raise NotFound: not a community the actor sees.
    :raise Forbidden: not its staff.
    :raise Invalid: the month has not begun yet.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(can_manage_community(actor, community))
    if _first_of(month) > month_start(today):
        raise Invalid(errors={"month": [_("这个月份还没到，不能生成台账。")]})
    report = LedgerReport(community_id=community.id, month=month, requested_by_id=actor.id)
    db.session.add(report)
    db.session.flush()
    queue.enqueue(build_ledger, report.id)
    return report


def get_report(actor: User | None, report_id: int) -> LedgerReport:
    """:raise NotFound: no such report among the communities the actor manages."""
    report = db.session.get(LedgerReport, report_id)
    if report is None or not can_manage_community(actor, report.community):
        raise NotFound()
    return report


def recent_reports(community_id: int, limit: int = 6) -> list[LedgerReport]:
    return list(
        db.session.scalars(
            sa.select(LedgerReport)
            .where(LedgerReport.community_id == community_id)
            .order_by(LedgerReport.id.desc())
            .limit(limit)
        )
    )


@queue.task()
def build_ledger(report_id: int) -> None:
    """Make the report's PDF; running it again after it is done does nothing."""
    with unit_of_work():
        report = db.session.get(LedgerReport, report_id, with_for_update=True)
        if report is None or report.status == DONE:
            return
        report.status = RUNNING
    try:
        # A request of its own, signed in as nobody: the page's context processors read the
        # signed-in person, which a worker has none of (and, run in-process, must not share).
        with current_app.test_request_context("/"):
            pdf = ledger_pdf(report.community, report.month, now=utcnow())
    except Exception as error:  # the job page says it failed; the log says why
        logger.exception("ledger report %s failed", report_id)
        with unit_of_work():
            report = db.session.get(LedgerReport, report_id)
            report.status, report.message = FAILED, type(error).__name__
            report.finished_at = utcnow()
        return
    with unit_of_work():
        report = db.session.get(LedgerReport, report_id)
        report.pdf, report.size, report.status = pdf, len(pdf), DONE
        report.finished_at = utcnow()


def ledger_pdf(community, month: str, *, now: datetime) -> bytes:
    """The 台账 of ``month`` for ``community`` (callers checked access)."""
    period = stats_monthly.month(_first_of(month))
    series = stats_monthly.figures([community.id], [period], now)
    figures = {
        name: stats_monthly.by_community(values, 0).get(community.id, 0)
        for name, values in series.items()
    }
    activities = list(
        db.session.scalars(
            sa.select(Activity)
            .where(
                Activity.community_id == community.id,
                Activity.status == ActivityStatus.SCHEDULED,
                Activity.starts_at >= period.starts,
                Activity.starts_at < period.ends,
                Activity.ends_at < now,  # held, as stats_monthly.activities_held counts them
            )
            .order_by(Activity.starts_at, Activity.id)
        )
    )
    ids = [a.id for a in activities]
    signed = (
        dict(
            db.session.execute(
                sa.select(Signup.activity_id, sa.func.count())
                .where(Signup.activity_id.in_(ids), Signup.checked_in_at.is_not(None))
                .group_by(Signup.activity_id)
            ).all()
        )
        if ids
        else {}
    )
    return render_pdf(
        "printables/ledger.html",
        community=community,
        month=month,
        figures=figures,
        activities=activities,
        checked_in=signed,
        photos=photos_as_data(ids),
        printed_at=now.astimezone(COMMUNITY_TZ),
    )


def photos_as_data(activity_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """(data URI, caption) of each activity's photos; WeasyPrint fetches nothing else."""
    found: dict[int, list[tuple[str, str]]] = {}
    if not activity_ids:
        return found
    rows = db.session.execute(
        sa.select(ActivityPhoto.activity_id, ActivityPhoto.caption, ActivityPhoto.data)
        .where(ActivityPhoto.activity_id.in_(activity_ids))
        .order_by(ActivityPhoto.created_at, ActivityPhoto.id)
    )
    for activity_id, caption, data in rows:
        uri = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        found.setdefault(activity_id, []).append((uri, caption))
    return found
