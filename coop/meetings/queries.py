"""Named reads of meetings, attendance, 决议 and 推选, scoped to what the actor sees."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coop.alliance.models import Alliance, AllianceOffice, OfficeRole, Term, Unit
from coop.auth.models import User
from coop.errors import NotFound
from coop.extensions import db
from coop.meetings import permissions
from coop.meetings.models import (
    Attendance,
    DeputyElection,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Resolution,
)
from coop.terms.queries import half_year_end, half_year_start
from coop.timeutil import local_midnight


def get_meeting(actor: User | None, meeting_id: int, *, for_update: bool = False) -> Meeting:
    """:raise NotFound: no such meeting, or not of the actor's communities."""
    meeting = db.session.get(Meeting, meeting_id, with_for_update=for_update)
    if meeting is None or not permissions.can_view_meetings(actor, meeting.community_id):
        raise NotFound()
    return meeting


def get_resolution(actor: User | None, resolution_id: int) -> Resolution:
    """:raise NotFound: no such 决议, or not of the actor's communities."""
    resolution = db.session.get(Resolution, resolution_id)
    if resolution is None:
        raise NotFound()
    get_meeting(actor, resolution.meeting_id)
    return resolution


def get_election(actor: User | None, election_id: int, *, for_update: bool = False):
    """:raise NotFound: no such 推选, or not of the actor's communities."""
    election = db.session.get(DeputyElection, election_id, with_for_update=for_update)
    if election is None:
        raise NotFound()
    from coop.terms import queries as terms_queries

    terms_queries.get_term(actor, election.term_id)
    if for_update:
        db.session.refresh(election, ["candidates", "votes"])
    return election


def meetings_select(community_id: int, *, kind: MeetingKind | None = None) -> sa.Select:
    """The community's meetings, the latest first."""
    query = sa.select(Meeting).where(Meeting.community_id == community_id)
    if kind is not None:
        query = query.where(Meeting.kind == kind)
    return query.order_by(Meeting.starts_at.desc(), Meeting.id.desc())


def held_within(first: date, last: date) -> sa.ColumnElement[bool]:
    """Meetings starting on a day from ``first`` to ``last`` (community time)."""
    return sa.and_(
        Meeting.starts_at >= local_midnight(first),
        Meeting.starts_at < local_midnight(last + timedelta(days=1)),
    )


def half_year_assembly(community_id: int, day: date) -> Meeting | None:
    """The community's 联盟大会 not cancelled in the half year ``day`` falls in, whether or not
    that half year's term is open yet (one is scheduled a half year ahead before it is)."""
    return db.session.scalar(
        sa.select(Meeting)
        .where(
            Meeting.community_id == community_id,
            Meeting.kind == MeetingKind.ASSEMBLY,
            Meeting.status != MeetingStatus.CANCELLED,
            held_within(half_year_start(day), half_year_end(day)),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def term_assembly(term_id: int | None) -> Meeting | None:
    """The term's 联盟大会: its first assembly that was not cancelled."""
    if term_id is None:
        return None
    return db.session.scalar(
        sa.select(Meeting)
        .where(
            Meeting.term_id == term_id,
            Meeting.kind == MeetingKind.ASSEMBLY,
            Meeting.status != MeetingStatus.CANCELLED,
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )


def term_meetings(term_id: int) -> list[Meeting]:
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(Meeting.term_id == term_id, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


ASSEMBLIES_A_YEAR = 2  # the 联盟大会 meets every half year


def assemblies_held(community_id: int, today: date) -> int:
    """Of the alliance's current term and the one before it, how many held their 联盟大会: the
    dashboard's "twice a year", counted from meeting records by term (a year is two half-year
    terms, and an extra assembly in a term does not count twice), so it does not drop to 0 on
    1 January."""
    return db.session.scalar(assemblies_held_select(community_id, today))


def assemblies_held_select(community_id: int, today: date) -> sa.Select:
    """``assemblies_held`` as a statement, to be sent with the dashboard's other figures."""
    last_two = (
        sa.select(Term.id)
        .join(Alliance, Alliance.id == Term.alliance_id)
        .where(Alliance.community_id == community_id, Term.starts_on <= today)
        .order_by(Term.starts_on.desc())
        .limit(2)
        .scalar_subquery()
    )
    return sa.select(sa.func.count(sa.distinct(Meeting.term_id))).where(
        Meeting.community_id == community_id,
        Meeting.kind == MeetingKind.ASSEMBLY,
        Meeting.status == MeetingStatus.HELD,
        Meeting.term_id.in_(last_two),
    )


def upcoming_for_units(unit_ids: set[int], now: datetime) -> list[Meeting]:
    """Scheduled meetings still ahead that any of the units is invited to."""
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .join(Attendance, Attendance.meeting_id == Meeting.id)
            .where(
                Attendance.unit_id.in_(unit_ids),
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at > now,
            )
            .distinct()
            .order_by(Meeting.starts_at)
        )
    )


def awaiting_minutes(community_ids: set[int], now: datetime) -> list[Meeting]:
    """Meetings that have started, were not cancelled and have no minutes yet."""
    if not community_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Meeting)
            .where(
                Meeting.community_id.in_(community_ids),
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.starts_at <= now,
                Meeting.minutes_at.is_(None),
            )
            .order_by(Meeting.starts_at)
        )
    )


def attendance_of(meeting_id: int, unit_id: int) -> Attendance | None:
    return db.session.scalar(
        sa.select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.unit_id == unit_id
        )
    )


def election_of(term_id: int) -> DeputyElection | None:
    return db.session.scalar(
        sa.select(DeputyElection)
        .where(DeputyElection.term_id == term_id)
        .options(selectinload(DeputyElection.candidates), selectinload(DeputyElection.votes))
    )


def tally(election: DeputyElection) -> list[tuple[Unit, int]]:
    """Each candidate with its votes (or agreements), most first, then by nomination order."""
    counts = {c.unit_id: 0 for c in election.candidates}
    for vote in election.votes:
        counts[vote.candidate_unit_id] = counts.get(vote.candidate_unit_id, 0) + 1
    order = {c.unit_id: i for i, c in enumerate(election.candidates)}
    units = {c.unit_id: c.unit for c in election.candidates}
    ranked = sorted(counts, key=lambda uid: (-counts[uid], order.get(uid, 0)))
    return [(units[uid], counts[uid]) for uid in ranked if uid in units]


@dataclass
class RotationRow:
    unit: Unit
    terms: list[Term]  # the terms it led, latest first


def rotation(alliance_id: int, member_units: list[Unit]) -> list[RotationRow]:
    """Who has held the rotating deputy and who has not: every member unit with the terms it
    led; units that never held it first (they are next in line), then by how long ago."""
    offices = db.session.execute(
        sa.select(AllianceOffice.unit_id, Term)
        .join(Term, Term.id == AllianceOffice.term_id)
        .where(
            AllianceOffice.alliance_id == alliance_id,
            AllianceOffice.role == OfficeRole.DEPUTY,
            AllianceOffice.unit_id.is_not(None),
        )
        .order_by(Term.starts_on.desc())
    ).all()
    held: dict[int, list[Term]] = {}
    for unit_id, term in offices:
        held.setdefault(unit_id, []).append(term)
    rows = [RotationRow(unit, held.get(unit.id, [])) for unit in member_units]
    return sorted(
        rows,
        key=lambda r: (bool(r.terms), r.terms[0].starts_on if r.terms else date.min, r.unit.name),
    )
