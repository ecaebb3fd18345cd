"""Named reads of activities and sign-ups, scoped to the actor's communities."""

from datetime import date, datetime

import sqlalchemy as sa

from coop.activities.models import LIVE_SIGNUP, Activity, ActivityStatus, Signup, SignupStatus
from coop.alliance.permissions import visible_community_ids
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.timeutil import local_midnight, next_month


def activities_select(
    actor: User | None,
    *,
    community_id: int | None = None,
    project_id: int | None = None,
    upcoming_from: datetime | None = None,
    month: str | None = None,
) -> sa.Select:
    """``month`` (YYYY-MM): only those ending in it, community time (``coop.stats_monthly``
    counts a session held in the month it ended)."""
    visible = visible_community_ids(actor)
    if community_id is not None:
        visible &= {community_id}
    query = sa.select(Activity).where(Activity.community_id.in_(visible))
    if project_id is not None:
        query = query.where(Activity.project_id == project_id)
    if month:
        first = date(int(month[:4]), int(month[5:7]), 1)
        query = query.where(
            Activity.ends_at >= local_midnight(first),
            Activity.ends_at < local_midnight(next_month(first)),
        )
    if upcoming_from is not None:
        query = query.where(
            Activity.ends_at > upcoming_from, Activity.status == ActivityStatus.SCHEDULED
        )
        return query.order_by(Activity.starts_at, Activity.id)
    return query.order_by(Activity.starts_at.desc(), Activity.id.desc())


def get_activity(actor: User | None, activity_id: int, *, for_update: bool = False) -> Activity:
    """:raise NotFound: not an activity of the actor's communities."""
    query = activities_select(actor).where(Activity.id == activity_id)
    if for_update:
        query = query.with_for_update(of=Activity).execution_options(populate_existing=True)
    activity = db.session.scalar(query)
    if activity is None:
        raise NotFound()
    return activity


def lock_activity(activity_id: int) -> Activity:
    """The activity under its row lock, re-read (no scope: the caller has authorised)."""
    return db.session.scalar(
        sa.select(Activity)
        .where(Activity.id == activity_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def cancellable_signups_of(volunteer_id: int, now: datetime) -> list[tuple[int, int]]:
    """(sign-up id, activity id) of her live sign-ups for scheduled sessions not yet over and
    not checked in, in activity id order (the order their locks are taken)."""
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Signup.id, Signup.activity_id)
            .join(Activity, Signup.activity_id == Activity.id)
            .where(
                Signup.volunteer_id == volunteer_id,
                Signup.status.in_(LIVE_SIGNUP),
                Signup.checked_in_at.is_(None),
                Activity.status == ActivityStatus.SCHEDULED,
                Activity.ends_at > now,
            )
            .order_by(Signup.activity_id, Signup.id)
        )
    ]


def live_signup(activity_id: int, volunteer_id: int) -> Signup | None:
    return db.session.scalar(
        sa.select(Signup).where(
            Signup.activity_id == activity_id,
            Signup.volunteer_id == volunteer_id,
            Signup.status.in_(LIVE_SIGNUP),
        )
    )


def overlapping_signup(volunteer_id: int, activity: Activity) -> Signup | None:
    """Another live sign-up of hers whose session overlaps this one."""
    return db.session.scalar(
        sa.select(Signup)
        .join(Activity, Signup.activity_id == Activity.id)
        .where(
            Signup.volunteer_id == volunteer_id,
            Signup.status.in_(LIVE_SIGNUP),
            Signup.activity_id != activity.id,
            Activity.status == ActivityStatus.SCHEDULED,
            Activity.starts_at < activity.ends_at,
            activity.starts_at < Activity.ends_at,
        )
        .limit(1)
    )


def first_waiting(activity_id: int) -> Signup | None:
    return db.session.scalar(
        sa.select(Signup)
        .where(Signup.activity_id == activity_id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.created_at, Signup.id)
        .limit(1)
        .with_for_update()
    )


def signups_of(activity_id: int) -> list[Signup]:
    return list(
        db.session.scalars(
            sa.select(Signup)
            .where(Signup.activity_id == activity_id, Signup.status.in_(LIVE_SIGNUP))
            .order_by(Signup.status, Signup.created_at, Signup.id)
        )
    )


def my_signups_select(volunteer_id: int) -> sa.Select:
    return (
        sa.select(Signup)
        .join(Activity, Signup.activity_id == Activity.id)
        .where(Signup.volunteer_id == volunteer_id)
        .order_by(Activity.starts_at.desc(), Signup.id.desc())
    )


def scheduled_of_project(project_id: int) -> list[Activity]:
    """The project's sessions that are not called off, earliest first."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .where(Activity.project_id == project_id, Activity.status == ActivityStatus.SCHEDULED)
            .order_by(Activity.starts_at, Activity.id)
        )
    )


def volunteers_signed_up_for_project(project_id: int, now: datetime) -> set[int]:
    """Who holds a live sign-up for one of the project's sessions not yet over."""
    return set(
        db.session.scalars(
            sa.select(Signup.volunteer_id)
            .join(Activity, Signup.activity_id == Activity.id)
            .where(
                Activity.project_id == project_id,
                Activity.status == ActivityStatus.SCHEDULED,
                Activity.ends_at > now,
                Signup.status.in_(LIVE_SIGNUP),
            )
            .distinct()
        )
    )
