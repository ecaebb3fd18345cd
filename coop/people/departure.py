"""People leave: the secretary deactivates a person (and may bring her back), and anonymises
one who has left (个人信息保护法).

Deactivating ends what she had booked the way she would have ended it herself: her sign-ups as
``cancel_signup`` does (a held seat goes to the first in line), her own claims as
``withdraw_claim`` does (an approved one frees its slot), her 积分超市 reservations as staff
cancel one (stock and held points back, once). A unit's claims are the unit's and stay. What
she did stays hers: verified and pending hours, points, badges. She is signed out at once.

Anonymising keeps every row and every total (hours, the ledger, badge counts) and removes what
names her: her name, username, phone, address, skills and work unit, the requester fields of
the needs she raised, and the same values in the audit log's snapshots.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.activities import queries as activity_queries
from coop.activities import service as activities
from coop.activities.models import Activity, Signup
from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.alliance.models import Community
from coop.audit import AuditLog
from coop.auth import service as auth
from coop.auth.models import LOCK_USER_ROW, Role, RoleGrant, User
from coop.claims import queries as claim_queries
from coop.claims import service as claims
from coop.claims.models import LIVE, Claim
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.hours.models import RecordStatus, ServiceRecord
from coop.needs.models import Need
from coop.notices.service import notify
from coop.people import errors, queries
from coop.people.models import Departure, ResidentProfile, VolunteerProfile
from coop.rewards import queries as reward_queries
from coop.rewards import service as rewards
from coop.rewards.models import Redemption

ANONYMOUS_NAME = "已注销用户"
# Roles the street admin appoints and removes; the secretary's people list does not end them.
STAFF_ROLES = (Role.SECRETARY, Role.STREET_ADMIN)
# A password hash no password matches (werkzeug's check reads it as no known method).
UNUSABLE_PASSWORD = "!anonymised"


@dataclass
class Consequences:
    """What deactivating her does, for the confirmation page (and what it did, afterwards)."""

    signups: list[Signup] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    reservations: list[Redemption] = field(default_factory=list)
    pending_records: int = 0
    unit_claims_kept: int = 0


# --- whose person -------------------------------------------------------------------------------


def get_person(actor: User, community_id: int, user_id: int) -> tuple[Community, User]:
    """A person of a community whose people the actor manages.

    :raise NotFound: not the actor's community, or not one of its people.
    :raise Forbidden: she may see the community but not manage its people.
    """
    community = alliance_queries.get_community(actor, community_id)
    person = db.session.scalar(queries.people_select(actor, community.id).where(User.id == user_id))
    if person is None:
        raise NotFound()
    permissions.require(can_manage_departures(actor, community))
    return community, person


def can_manage_departures(actor: User | None, community: Community) -> bool:
    """The secretary deactivates, brings back and anonymises her community's people."""
    return permissions.can_manage_community(actor, community)


def can_deactivate(actor: User | None, person: User) -> bool:
    """Not staff (the street admin appoints and removes them), never herself."""
    return (
        actor is not None
        and person.id != actor.id
        and not any(person.has_role(role) for role in STAFF_ROLES)
    )


def community_of(actor: User, user_id: int) -> int:
    """For the API, which names no community: the first community (hers first) whose person
    this is, among those the actor sees.

    :raise NotFound: none of them.
    """
    managed = permissions.managed_community_ids(actor)
    seen = permissions.visible_community_ids(actor) - managed
    for community_id in [*sorted(managed), *sorted(seen)]:
        members = queries.member_ids(community_id).where(RoleGrant.user_id == user_id)
        if db.session.scalar(members.limit(1)) is not None:
            return community_id
    raise NotFound()


def _locked(person: User) -> User:
    """Her row under lock, re-read: two secretaries acting at once queue here."""
    return db.session.get(User, person.id, with_for_update=LOCK_USER_ROW, populate_existing=True)


def _latest_departure(user_id: int) -> Departure | None:
    return db.session.scalar(
        sa.select(Departure)
        .where(Departure.user_id == user_id)
        .order_by(Departure.deactivated_at.desc(), Departure.id.desc())
        .limit(1)
    )


def latest_departures(user_ids) -> dict[int, Departure]:
    """The latest departure of each of these people (for the list's 已停用 line)."""
    latest: dict[int, Departure] = {}
    for departure in db.session.scalars(
        sa.select(Departure)
        .where(Departure.user_id.in_(list(user_ids)))
        .order_by(Departure.deactivated_at, Departure.id)
    ):
        latest[departure.user_id] = departure
    return latest


# --- deactivating -------------------------------------------------------------------------------


def consequences(actor: User, community_id: int, user_id: int, *, now: datetime) -> Consequences:
    """What deactivating her would end now (the same reads the deactivation acts on)."""
    _community, person = get_person(actor, community_id, user_id)
    signup_ids = [s for s, _a in activity_queries.cancellable_signups_of(person.id, now)]
    claim_ids = [c for c, _p in claim_queries.live_volunteer_claims_of(person.id)]
    redemption_ids = reward_queries.reserved_ids_of(person.id)
    return Consequences(
        signups=_rows(Signup, signup_ids),
        claims=_rows(Claim, claim_ids),
        reservations=_rows(Redemption, redemption_ids),
        pending_records=_pending_records(person.id),
        unit_claims_kept=_unit_claims(person),
    )


def _rows(model, ids: list[int]) -> list:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(model).where(model.id.in_(ids)).order_by(model.id)))


def _pending_records(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            ServiceRecord.volunteer_id == user_id, ServiceRecord.status == RecordStatus.PENDING
        )
    )


def _unit_claims(person: User) -> int:
    unit_ids = [g.unit_id for g in person.grants_of(Role.UNIT_LIAISON)]
    if not unit_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).where(Claim.unit_id.in_(unit_ids), Claim.status.in_(LIVE))
    )


def deactivate_person(
    actor: User, community_id: int, user_id: int, *, reason: str, now: datetime
) -> Consequences:
    """The secretary deactivates one of her community's people, saying why: her live sign-ups
    are cancelled (seats to the waiting list), her own live claims withdrawn, her reservations
    cancelled with points returned once; organisers, the community's secretaries and she are
    told; her sessions and API tokens end. Her hours, points and badges stay.

    :raise Invalid: no reason. :raise NotFound, Forbidden: as ``get_person``; Forbidden (staff)
    for a secretary or street admin, or herself. :raise AlreadyDeactivated: she already left.
    """
    community, person = get_person(actor, community_id, user_id)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(errors={"reason": [_("请填写停用原因。")]})
    if not can_deactivate(actor, person):
        raise errors.StaffNotDeactivated()
    person = _locked(person)
    if not person.is_active:
        raise errors.AlreadyDeactivated()
    person.is_active = False
    db.session.add(
        Departure(
            user_id=person.id,
            community_id=community.id,
            reason=reason,
            deactivated_at=now,
            deactivated_by_id=actor.id,
        )
    )
    done = Consequences(
        pending_records=_pending_records(person.id), unit_claims_kept=_unit_claims(person)
    )
    for signup, promoted in activities.cancel_signups_of(person.id, now=now):
        done.signups.append(signup)
        _tell_organiser(actor, signup.activity_id, promoted)
    done.claims = claims.withdraw_claims_of_volunteer(
        person.id, reason=_("认领人账号已停用"), now=now
    )
    for claim in done.claims:
        _tell_secretaries(actor, claim)
    done.reservations = rewards.cancel_reservations_of(
        actor, person.id, now=now, reason=_("账号已停用")
    )
    auth.end_all_sessions(person)
    auth.revoke_all_tokens(person)
    notify(person.id, _("您的账号已停用"), body=_told_her(reason, done))
    db.session.flush()
    return done


def _tell_organiser(actor: User, activity_id: int, promoted: Signup | None) -> None:
    """Who scheduled the session hears that a seat changed hands (not who left: her name
    would stay in their inbox after she is anonymised)."""
    activity = db.session.get(Activity, activity_id)
    organiser = activity.created_by_id
    if organiser is None or organiser == actor.id:
        return
    body = _("一位报名的志愿者账号已停用，其报名已取消。")
    if promoted is not None:
        body += _("候补的志愿者已递补。")
    notify(
        organiser,
        _("活动“%(title)s”有一位志愿者退出", title=activity.title),
        body=body,
        link=f"/activities/{activity.id}",
    )


def _tell_secretaries(actor: User, claim: Claim) -> None:
    project = claim.project
    for user_id in db.session.scalars(
        sa.select(RoleGrant.user_id)
        .join(User, User.id == RoleGrant.user_id)
        .where(
            RoleGrant.role == Role.SECRETARY,
            RoleGrant.community_id == project.community_id,
            User.is_active.is_(True),
            User.id != actor.id,
        )
        .distinct()
    ):
        notify(
            user_id,
            _("项目“%(title)s”的一个志愿者认领已撤回", title=project.title),
            body=_("认领的志愿者账号已停用，认领已自动撤回。"),
            link=f"/projects/{project.id}",
        )


def _told_her(reason: str, done: Consequences) -> str:
    text = _("原因：%(reason)s。", reason=reason)
    text += _(
        "已为您取消 %(signups)d 个活动报名，撤回 %(claims)d 个项目认领，"
        "取消 %(reservations)d 件兑换（冻结的积分已退回）。",
        signups=len(done.signups),
        claims=len(done.claims),
        reservations=len(done.reservations),
    )
    return text + _("您的服务时长、积分和徽章都会保留。如有疑问，请联系社区。")


def reactivate_person(actor: User, community_id: int, user_id: int, *, now: datetime) -> User:
    """The secretary brings a departed person back: she may sign in again. Nothing she had
    booked comes back, and the sessions ended at her departure stay ended.

    :raise NotFound, Forbidden: as ``get_person``. :raise NotDeactivated: she is active.
    :raise AlreadyAnonymised: her personal data is gone; she would register anew.
    """
    _community, person = get_person(actor, community_id, user_id)
    person = _locked(person)
    if person.is_active:
        raise errors.NotDeactivated()
    departure = _latest_departure(person.id)
    if departure is not None and departure.anonymised_at is not None:
        raise errors.AlreadyAnonymised(_("已注销个人信息的账号不能恢复，请重新添加。"))
    person.is_active = True
    if departure is not None:
        departure.reactivated_at, departure.reactivated_by_id = now, actor.id
    notify(
        person.id,
        _("您的账号已恢复"),
        body=_("您可以用原来的用户名和密码登录。停用时取消的报名、认领和兑换不会自动恢复。"),
    )
    db.session.flush()
    return person


# --- anonymising --------------------------------------------------------------------------------


def anonymise_person(actor: User, community_id: int, user_id: int, *, now: datetime) -> User:
    """The secretary removes a departed person's personal data, irreversibly: name 已注销用户,
    a meaningless username, no phone, no password, no address, skills or work unit; the needs
    she raised lose their requester's name, phone and address; the audit snapshots of those
    rows lose the same values. Hours, points and badges stay as they are.

    :raise NotFound, Forbidden: as ``get_person``. :raise StillActive: deactivate her first.
    :raise AlreadyAnonymised: done before.
    """
    _community, person = get_person(actor, community_id, user_id)
    person = _locked(person)
    if person.is_active:
        raise errors.StillActive()
    departure = _latest_departure(person.id)
    if departure is not None and departure.anonymised_at is not None:
        raise errors.AlreadyAnonymised()
    old_name = person.display_name
    person.display_name = ANONYMOUS_NAME
    person.username = _meaningless_username(person.id)
    person.phone = None
    person.email = person.wechat_openid = None  # no channel reaches her any more
    person.password_hash = UNUSABLE_PASSWORD
    volunteer = db.session.get(VolunteerProfile, person.id)
    if volunteer is not None:
        volunteer.skills, volunteer.work_unit_id = [], None
    resident = db.session.get(ResidentProfile, person.id)
    if resident is not None:
        resident.address = ""
    needs = list(db.session.scalars(sa.select(Need).where(Need.requester_id == person.id)))
    for need in needs:
        need.requester_name, need.requester_phone, need.requester_address = ANONYMOUS_NAME, "", ""
    departures = list(
        db.session.scalars(sa.select(Departure).where(Departure.user_id == person.id))
    )
    for row in departures:
        row.reason = row.reason.replace(old_name, ANONYMOUS_NAME) if old_name else row.reason
    if departure is not None:
        departure.anonymised_at, departure.anonymised_by_id = now, actor.id
    # The flush writes this change's own audit rows (their "before" holds the masked old
    # values), so the snapshots are cleaned after it.
    db.session.flush()
    _scrub_audit(person, [n.id for n in needs], departures)
    db.session.add(
        AuditLog(
            at=now,
            actor_id=actor.id,
            action="anonymise",
            object_type="users",
            object_id=str(person.id),
            before=None,
            after={"display_name": ANONYMOUS_NAME, "username": person.username},
        )
    )
    db.session.flush()
    return person


def _meaningless_username(user_id: int) -> str:
    """deleted-<id>, unless someone was given that name; then with a random tail."""
    candidate = f"deleted-{user_id}"
    while db.session.scalar(sa.select(User.id).where(User.username == candidate)) not in (
        None,
        user_id,
    ):
        candidate = f"deleted-{user_id}-{secrets.token_hex(4)}"
    return candidate


def _scrub_audit(person: User, need_ids: list[int], departures: list[Departure]) -> None:
    """Her values out of the snapshots of the rows about her, updated in place (the JSON is
    edited in Python, the same on SQLite and PostgreSQL)."""
    anonymous = {"display_name": ANONYMOUS_NAME, "username": person.username, "phone": None}
    targets = {
        ("users", str(person.id)): anonymous,
        ("volunteer_profiles", str(person.id)): {"skills": None, "work_unit_id": None},
        ("resident_profiles", str(person.id)): {"address": None},
    }
    for need_id in need_ids:
        targets[("needs", str(need_id))] = {
            "requester_name": ANONYMOUS_NAME,
            "requester_phone": None,
            "requester_address": None,
        }
    for departure in departures:
        targets[("departures", str(departure.id))] = {"reason": departure.reason}
    table = AuditLog.__table__
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in targets:
        by_type.setdefault(object_type, []).append(object_id)
    for object_type, object_ids in by_type.items():
        rows = db.session.execute(
            sa.select(table.c.id, table.c.object_id, table.c.before, table.c.after).where(
                table.c.object_type == object_type, table.c.object_id.in_(object_ids)
            )
        ).all()
        changed = []
        for row in rows:
            replace = targets[(object_type, row.object_id)]
            before, after = _scrubbed(row.before, replace), _scrubbed(row.after, replace)
            if (before, after) != (row.before, row.after):
                changed.append({"row_id": row.id, "new_before": before, "new_after": after})
        if changed:  # one statement, executed for many rows
            db.session.connection().execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("row_id"))
                .values(before=sa.bindparam("new_before"), after=sa.bindparam("new_after")),
                changed,
            )


def _scrubbed(snapshot: dict | None, replace: dict) -> dict | None:
    if not snapshot:
        return snapshot
    return {key: replace.get(key, value) for key, value in snapshot.items()}
