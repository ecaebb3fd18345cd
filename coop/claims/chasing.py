"""Chasing deadlines: once a day the clock tells people what passed its deadline the day before.

- A project whose claim deadline passed with slots still free: its community's secretaries.
- A claim still waiting for review at that deadline: the secretaries.
- An approved claim whose project should have started but has not: the claimant (the unit's
  liaisons, or the volunteer) and the secretaries.

Each event falls in exactly one day, so running the job for each day once chases it once; the
job's unit of work is the whole day, so a killed run leaves no notice behind.
"""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from coop.auth.models import Role, RoleGrant
from coop.claims.models import Claim, ClaimantType, ClaimStatus
from coop.extensions import db
from coop.notices import recipients
from coop.notices.service import notify
from coop.projects.models import Project, ProjectStatus

OPEN = (ProjectStatus.PUBLISHED, ProjectStatus.CLAIMED)


def _user_ids(*conditions) -> list[int]:
    return list(db.session.scalars(sa.select(RoleGrant.user_id).where(*conditions).distinct()))


def _secretaries(community_id: int) -> list[int]:
    return _user_ids(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == community_id)


def _claimant(claim: Claim) -> list[int]:
    if claim.claimant_type is ClaimantType.VOLUNTEER:
        return [claim.volunteer_id]
    if claim.claimant_type is ClaimantType.TEAM:
        return recipients.claimant(claim)  # the team's current leaders
    return _user_ids(RoleGrant.role == Role.UNIT_LIAISON, RoleGrant.unit_id == claim.unit_id)


def chase_deadlines(*, since: datetime, until: datetime) -> dict:
    """Notices for the deadlines that passed in [since, until). Returns counts."""
    counts = {"unclaimed_projects": 0, "unreviewed_claims": 0, "late_starts": 0, "notices": 0}

    def tell(user_ids, title, body, link):
        for user_id in user_ids:
            notify(user_id, title, body=body, link=link)
            counts["notices"] += 1

    closing = db.session.scalars(
        sa.select(Project)
        .where(
            Project.status.in_(OPEN),
            Project.claim_deadline >= since,
            Project.claim_deadline < until,
        )
        .order_by(Project.id)
    ).all()
    for project in closing:
        link = f"/projects/{project.id}"
        if project.approved_count < project.slots:
            counts["unclaimed_projects"] += 1
            tell(
                _secretaries(project.community_id),
                _("项目“%(title)s”已过认领截止时间", title=project.title),
                _(
                    "还有 %(free)s 个名额无人认领，可延长截止时间、邀请单位认领或调整项目。",
                    free=project.slots - project.approved_count,
                ),
                link,
            )
        waiting = db.session.scalar(
            sa.select(sa.func.count()).where(
                Claim.project_id == project.id, Claim.status == ClaimStatus.PENDING
            )
        )
        if waiting:
            counts["unreviewed_claims"] += waiting
            tell(
                _secretaries(project.community_id),
                _("项目“%(title)s”有认领待审核", title=project.title),
                _("认领已截止，还有 %(n)s 个认领等您审核。", n=waiting),
                link,
            )

    late = db.session.scalars(
        sa.select(Claim)
        .join(Project, Claim.project_id == Project.id)
        .where(
            Claim.status == ClaimStatus.APPROVED,
            Project.status.in_(OPEN),
            Project.starts_at >= since,
            Project.starts_at < until,
        )
        .options(selectinload(Claim.project))
        .order_by(Claim.id)
    ).all()
    for claim in late:
        project = claim.project
        counts["late_starts"] += 1
        title = _("项目“%(title)s”已到开始时间，尚未开始", title=project.title)
        body = _("请认领方与社区确认是否如期开展；不能开展的请及时释放认领。")
        tell(_claimant(claim), title, body, f"/projects/{project.id}")
        tell(_secretaries(project.community_id), title, body, f"/projects/{project.id}")
    return counts


def closing_soon(now: datetime, window) -> list[tuple[Project, int]]:
    """Before the deadline (the reminders' side of this chase): projects open for claiming
    whose claim deadline comes within ``window`` of ``now``, published before the reminder's
    moment, with a slot still free or a claim still waiting for review; each with how many
    claims wait. The day after, ``chase_deadlines`` takes over."""
    waiting = (
        sa.select(sa.func.count())
        .where(Claim.project_id == Project.id, Claim.status == ClaimStatus.PENDING)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Project, waiting.label("waiting"))
        .where(
            Project.status.in_(OPEN),
            Project.claim_deadline > now,
            Project.claim_deadline <= now + window,
            sa.or_(Project.approved_count < Project.slots, waiting > 0),
        )
        .order_by(Project.id)
    ).all()
    # Compared here, not in SQL: SQLite stores moments as text and cannot subtract them.
    return [
        (project, count)
        for project, count in rows
        if project.published_at is not None
        and project.published_at <= project.claim_deadline - window
    ]
