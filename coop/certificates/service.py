"""Issuing and revoking 志愿服务记录证明 (《志愿服务记录与证明出具办法（试行）》, 2021-02-01).

A certificate states the volunteer's verified hours served in one community, which issues it:
the volunteer's home community when she asks for her own, the staff member's community when
staff issue it. What it states is frozen in ``snapshot`` when it is issued; the PDF is drawn
from the snapshot once, by the task queue (``coop.certificates.pdfs``), and kept.
"""

import hashlib
import json
import secrets
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance.models import Community
from coop.alliance.permissions import managed_community_ids
from coop.auth.models import Role, RoleGrant, User
from coop.certificates import pdfs
from coop.certificates.models import Certificate
from coop.errors import Conflict, Invalid, NotFound
from coop.extensions import db
from coop.hours.models import RecordOrigin
from coop.hours.queries import star_level, verified_records, volunteer_totals
from coop.people.models import VolunteerProfile
from coop.timeutil import COMMUNITY_TZ

NUMBER_PREFIX = "XW"
CONTENT_CHARS = 60


def volunteer_number(volunteer_id: int) -> str:
    """Her volunteer number on the certificate: her profile's id, fixed width (V00000042)."""
    return f"V{volunteer_id:08d}"


def certificate_number(year: int, certificate_id: int) -> str:
    """XW-2026-000123: the year issued and the log's row id, so unique without a counter."""
    return f"{NUMBER_PREFIX}-{year}-{certificate_id:06d}"


def _person_in_charge(community_id: int) -> str:
    """The community's secretary (the first granted), or blank when it has none."""
    name = db.session.scalar(
        sa.select(User.display_name)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.SECRETARY, RoleGrant.community_id == community_id)
        .where(User.is_active.is_(True))
        .order_by(RoleGrant.id)
        .limit(1)
    )
    return name or ""


def _content(record) -> str:
    text = (record.note or (record.activity.description if record.activity else "")).strip()
    text = " ".join(text.split())
    return text if len(text) <= CONTENT_CHARS else text[: CONTENT_CHARS - 1] + "…"


def _snapshot(volunteer: User, community: Community, actor: User, now: datetime) -> dict:
    totals = volunteer_totals(volunteer.id, community_id=community.id)
    if not totals.records:
        raise Conflict(
            _("她在本社区还没有已核实的服务时长，不能出具证明。"), code="no_verified_hours"
        )
    records = verified_records(volunteer.id, community_id=community.id)
    return {
        "volunteer": {
            "name": volunteer.display_name,
            "number": volunteer_number(volunteer.id),
            "id_type": "",  # no identity document is stored: shown as 未登记
            "id_number_masked": "",
        },
        "records": [
            {
                "date": r.service_date.isoformat(),
                "activity": r.activity.title if r.activity else _("补录服务"),
                "content": _content(r),
                "hours": str(r.hours),
                "entered": r.origin == RecordOrigin.ENTERED,
            }
            for r in records
        ],
        "totals": {
            "total": str(totals.total),
            "checkin": str(totals.checkin),
            "entered": str(totals.entered),
            "records": totals.records,
            "stars": star_level(totals.total),
        },
        "issuer": {
            "community": community.name,
            "street": community.street.name,
            "person_in_charge": _person_in_charge(community.id),
            "handler": _("本人自助出具") if actor.id == volunteer.id else actor.display_name,
            "contact": community.address,
        },
        "issued_on": now.astimezone(COMMUNITY_TZ).date().isoformat(),
    }


def snapshot_hash(snapshot: dict) -> str:
    body = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _community_for(actor: User, volunteer: VolunteerProfile) -> Community:
    """Her own: her home community. Staff: their community, and she must be its volunteer."""
    if actor.id == volunteer.user_id:
        return volunteer.home_community
    if volunteer.home_community_id in managed_community_ids(actor):
        return volunteer.home_community
    raise NotFound()  # another community's volunteer, or not staff: as if she did not exist


def issue(actor: User, volunteer_id: int, *, now: datetime) -> Certificate:
    """Number and log a certificate of her verified hours.

    :raise NotFound: no such volunteer, or one the actor may not issue for.
    :raise Conflict: ``no_verified_hours``; nothing is written.

    Its PDF is queued; it is made after the unit of work commits.
    """
    profile = db.session.get(VolunteerProfile, volunteer_id)
    if profile is None:
        raise NotFound()
    community = _community_for(actor, profile)
    snapshot = _snapshot(profile.user, community, actor, now)
    code = secrets.token_urlsafe(12)
    certificate = Certificate(
        number=f"pending-{code}",
        code=code,
        volunteer_id=profile.user_id,
        community_id=community.id,
        issued_by_id=actor.id,
        issued_at=now,
        hours_total=Decimal(snapshot["totals"]["total"]),
        hours_entered=Decimal(snapshot["totals"]["entered"]),
        records_count=snapshot["totals"]["records"],
        snapshot=snapshot,
        snapshot_hash=snapshot_hash(snapshot),
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.number = certificate_number(now.astimezone(COMMUNITY_TZ).year, certificate.id)
    db.session.flush()
    pdfs.request_pdf(certificate)  # the queue draws it once, after the commit
    return certificate


def revoke(actor: User, certificate_id: int, *, reason: str, now: datetime) -> Certificate:
    """Staff of the issuing community withdraw a certificate; the public check says so.

    :raise NotFound: not a certificate of the actor's community.
    :raise Invalid: no reason. :raise Conflict: ``already_revoked``.
    """
    certificate = db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.id == certificate_id,
            Certificate.community_id.in_(managed_community_ids(actor)),
        )
        .with_for_update()
    )
    if certificate is None:
        raise NotFound()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": [_("请填写作废原因。")]})
    if certificate.revoked_at is not None:
        raise Conflict(_("这份证明已经作废。"), code="already_revoked")
    certificate.revoked_at = now
    certificate.revoked_by_id = actor.id
    certificate.revoke_reason = reason
    db.session.flush()
    return certificate
