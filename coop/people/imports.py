"""Importing a community's people from one workbook: alliance units with their liaisons,
volunteers and residents, all of them or none.

People are matched by phone across the platform (one phone, one person: she signs in with it).
A person already there is not created again and nothing of hers is changed: she only gets the
role grant and profile this import gives her and she lacks. A unit is matched by name: one
already there is linked to this community's alliance through ``alliance.service.link_unit`` (so
the 1–3 communities rule holds), never duplicated. Every new person gets an invitation; the job
keeps who they are, so their invitations can be printed (fresh codes) from the job's page.

The upload is read in the request (refused before parsing when over the budget); the job
(``coop.importing``) checks every row — on its own, against the other rows, then against the
database, all in batched queries — and then writes everything in one transaction, looking the
database up again there, since it may have changed in between.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from coop import importing, xlsx
from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.alliance import service as alliance_service
from coop.alliance.models import MAX_COMMUNITIES_PER_UNIT, Community, Membership, Unit
from coop.auth import invitations
from coop.auth.models import Role, RoleGrant, User
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound
from coop.extensions import db
from coop.people import excel, service
from coop.people.excel import Kind
from coop.people.models import ResidentProfile, VolunteerProfile
from coop.people.service import generated_username, taken_usernames, users_by_phone
from coop.timeutil import local_today

COUNTS = (
    "people_new",
    "people_existing",
    "people_given_roles",
    "units_new",
    "units_linked",
    "units_existing",
)


class PeopleImportJob(importing.ImportJobMixin, db.Model):
    __tablename__ = "people_import_jobs"

    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # COUNTS → number
    # The people this import created: whom its page prints invitations for.
    created_user_ids: Mapped[list] = mapped_column(sa.JSON, default=list)


# --- what the rows say, checked -----------------------------------------------------------------

Where = tuple[str, int]  # the sheet's name and the row's number, as Excel shows them


@dataclass
class Person:
    """Everything the workbook says about the one person with this phone, from any sheet."""

    phone: str
    display_name: str
    where: Where  # the row that named her first
    liaison_of: str | None = None  # a unit's name
    volunteer: dict | None = None  # is_party_member, work_unit, skills, joined_on
    resident: dict | None = None  # neighbourhood_id, address


@dataclass
class NewUnit:
    fields: dict  # what alliance.service.add_unit takes
    where: Where


@dataclass
class Checked:
    units: dict[str, NewUnit] = field(default_factory=dict)  # by name
    people: dict[str, Person] = field(default_factory=dict)  # by phone


class _Errors:
    def __init__(self):
        self.rows: dict[Where, list[str]] = {}

    def add(self, where: Where, message: str) -> None:
        self.rows.setdefault(where, []).append(message)

    def report(self) -> list[dict]:
        order = {spec.name: n for n, spec in enumerate(excel.SHEETS)}
        return [
            {"sheet": sheet, "row": row, "errors": messages}
            for (sheet, row), messages in sorted(
                self.rows.items(), key=lambda item: (order[item[0][0]], item[0][1])
            )
        ]


def alliance_units(community_id: int) -> dict[str, int]:
    """Name → id of the units serving the community's alliance."""
    return dict(
        db.session.execute(
            sa.select(Unit.name, Unit.id)
            .join(Membership, Membership.unit_id == Unit.id)
            .where(Membership.community_id == community_id)
        ).all()
    )


def check_rows(
    community: Community,
    rows: dict[Kind, list[excel.Row]],
    *,
    today: date,
    progress: Callable[[int], None] = lambda done: None,
) -> tuple[Checked, list[dict]]:
    """Every row checked on its own, against the other rows and against the database:
    (what to write, []) when all are good, or the bad rows (sheet, row, reasons)."""
    errors = _Errors()
    checked = Checked()
    sheet_units = {xlsx.cell_text(cells.get("name")) for _n, cells in rows.get(Kind.UNIT, [])}
    choices = excel.choices_for(
        {n.name: n.id for n in community.neighbourhoods},
        set(alliance_units(community.id)) | sheet_units,
    )
    done = 0
    for spec in excel.SHEETS:
        first_phone: dict[str, int] = {}
        first_name: dict[str, int] = {}
        for number, cells in rows.get(spec.kind, []):
            where = (spec.name, number)
            fields, messages = excel.validate_row(spec.kind, cells, choices, today=today)
            phone, name = fields.get("phone"), fields.get("name")
            if phone in first_phone:
                messages.append(_("手机号与第 %(row)d 行重复。", row=first_phone[phone]))
            elif phone:
                first_phone[phone] = number
            if name in first_name:
                messages.append(
                    _("单位“%(name)s”与第 %(row)d 行重复，每个单位只填一行。",
                      name=xlsx.excerpt(name, excel.EXCERPT), row=first_name[name])
                )  # fmt: skip
            elif name:
                first_name[name] = number
            if messages:
                for message in messages:
                    errors.add(where, message)
            else:
                _gather(checked, spec.kind, fields, where, errors)
            done += 1
            progress(done)
    _look_up(community, checked, errors)
    return checked, errors.report()


def _gather(checked: Checked, kind: Kind, fields: dict, where: Where, errors: _Errors) -> None:
    phone = fields["phone"]
    display_name = fields["liaison_name" if kind is Kind.UNIT else "display_name"]
    person = checked.people.get(phone)
    if person is not None and person.display_name != display_name:
        errors.add(
            where,
            _("手机号与“%(sheet)s”表第 %(row)d 行的“%(name)s”相同，同一个人的姓名应一致。",
              sheet=person.where[0], row=person.where[1], name=person.display_name),
        )  # fmt: skip
        return
    if person is None:
        person = checked.people[phone] = Person(phone, display_name, where)
    if kind is Kind.UNIT:
        unit = {
            "name": fields["name"],
            "kind": fields["kind"],
            "address": fields.get("address", ""),
            "contact_name": display_name,
            "contact_phone": fields.get("contact_phone") or phone,
        }
        checked.units[fields["name"]] = NewUnit(unit, where)
        person.liaison_of = fields["name"]
    elif kind is Kind.VOLUNTEER:
        person.volunteer = {
            "is_party_member": fields.get("is_party_member", False),
            "work_unit": fields.get("work_unit"),
            "skills": fields.get("skills", []),
            "joined_on": fields.get("joined_on"),
        }
    else:
        person.resident = {
            "neighbourhood_id": fields.get("neighbourhood_id"),
            "address": fields.get("address", ""),
        }


@dataclass
class _Found:
    users: dict[str, User]  # phone → the person holding it
    units: dict[str, Unit]  # name → the unit already there
    members: set[int]  # ids of those units already in this community's alliance


def _look_up(community: Community, checked: Checked, errors: _Errors) -> _Found:
    """What the database already holds of the workbook's people and units, in batched queries;
    what it makes impossible is reported in ``errors`` against the rows."""
    users = {}
    for phone, holders in users_by_phone(checked.people).items():
        if len(holders) > 1:
            errors.add(
                checked.people[phone].where,
                _("手机号 %(phone)s 已有 %(n)d 个账号，请先在人员名单中核对。",
                  phone=phone, n=len(holders)),
            )  # fmt: skip
        users[phone] = holders[0]
    names, units = list(checked.units), {}
    for start in range(0, len(names), 1000):
        batch = names[start : start + 1000]
        units.update(
            {u.name: u for u in db.session.scalars(sa.select(Unit).where(Unit.name.in_(batch)))}
        )
    serving: dict[int, set[int]] = {unit.id: set() for unit in units.values()}
    for membership in alliance_queries.memberships_for_units(set(serving)):
        serving[membership.unit_id].add(membership.community_id)
    for name, unit in units.items():
        communities = serving[unit.id]
        if community.id not in communities and len(communities) >= MAX_COMMUNITIES_PER_UNIT:
            errors.add(
                checked.units[name].where,
                _("单位“%(name)s”已服务 %(n)d 个社区，不能再加入本社区联盟。",
                  name=xlsx.excerpt(name, excel.EXCERPT), n=MAX_COMMUNITIES_PER_UNIT),
            )  # fmt: skip
    members = {unit_id for unit_id, ids in serving.items() if community.id in ids}
    return _Found(users, units, members)


# --- writing ----------------------------------------------------------------------------------


def import_people(actor: User, community_id: int, checked: Checked, *, now: datetime) -> dict:
    """Write what the rows said, in the caller's unit of work: every unit and person, or (on
    any error) none. Returns the counts and who was created (``created_user_ids``).

    :raise Forbidden: she does not manage the community. :raise Invalid: the database changed
        since the rows were checked so that a row no longer goes (a phone got a second account,
        a unit reached three communities).
    """
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    errors = _Errors()
    found = _look_up(community, checked, errors)
    if errors.rows:
        details = [
            f"{s} {_('第 %(row)d 行', row=r)}：{' '.join(m)}" for (s, r), m in errors.rows.items()
        ]
        raise Invalid(
            _("检查之后数据有变化，没有导入任何内容，请重新上传。") + " " + "；".join(details[:5])
        )
    today = local_today()
    counts = dict.fromkeys(COUNTS, 0)

    unit_ids = alliance_units(community.id)
    for name, new in checked.units.items():
        unit = found.units.get(name)
        if unit is None:
            unit = alliance_service.add_unit(actor, community.id, **new.fields, joined_on=today)
            counts["units_new"] += 1
        elif unit.id not in found.members:
            alliance_service.link_unit(actor, community.id, unit.id, joined_on=today)
            counts["units_linked"] += 1
        else:
            counts["units_existing"] += 1
        unit_ids[name] = unit.id

    new_people = [p for phone, p in checked.people.items() if phone not in found.users]
    taken = taken_usernames(p.phone for p in new_people)
    created = []
    for person in new_people:
        username = person.phone if person.phone not in taken else generated_username(taken)
        taken.add(username)
        user = User(username=username, display_name=person.display_name, phone=person.phone)
        invitations.without_password(user)
        created.append(user)
    db.session.add_all(created)
    db.session.flush()  # their ids, in one batched INSERT
    for person, user in zip(new_people, created, strict=True):
        _give(
            person,
            user,
            community.id,
            unit_ids,
            held=set(),
            has_volunteer=False,
            has_resident=False,
        )

    existing = [
        (p, found.users[p.phone]) for p in checked.people.values() if p.phone in found.users
    ]
    volunteers, residents = _profiles([user.id for _p, user in existing])
    for person, user in existing:
        held = {(g.role, g.community_id, g.unit_id) for g in user.grants}
        if _give(person, user, community.id, unit_ids, held=held,
                 has_volunteer=user.id in volunteers, has_resident=user.id in residents):  # fmt: skip
            counts["people_given_roles"] += 1
    db.session.flush()
    invitations.issue_invitations(created, by=actor, now=now)
    counts["people_new"], counts["people_existing"] = len(created), len(existing)
    return {"counts": counts, "created_user_ids": [user.id for user in created]}


def _profiles(user_ids: list[int]) -> tuple[set[int], set[int]]:
    """Which of these people already have a volunteer profile, and which a resident one."""
    volunteers, residents = set(), set()
    for start in range(0, len(user_ids), 1000):
        batch = user_ids[start : start + 1000]
        volunteers.update(
            db.session.scalars(
                sa.select(VolunteerProfile.user_id).where(VolunteerProfile.user_id.in_(batch))
            )
        )
        residents.update(
            db.session.scalars(
                sa.select(ResidentProfile.user_id).where(ResidentProfile.user_id.in_(batch))
            )
        )
    return volunteers, residents


def _give(person: Person, user: User, community_id: int, unit_ids: dict[str, int], *,
          held: set, has_volunteer: bool, has_resident: bool) -> bool:  # fmt: skip
    """Add the grants and profiles the rows give her and she lacks (``held`` are her grants as
    (role, community, unit)); True if any. By her id, not through her collections: that would
    load them one person at a time."""
    owner = {"user_id": user.id}
    given = False

    def grant(role: Role, *, community_id=None, unit_id=None) -> None:
        nonlocal given
        if (role, community_id, unit_id) not in held:
            db.session.add(
                RoleGrant(**owner, role=role, community_id=community_id, unit_id=unit_id)
            )
            given = True

    if person.liaison_of is not None:
        grant(Role.UNIT_LIAISON, unit_id=unit_ids[person.liaison_of])
    if person.volunteer is not None:
        grant(Role.VOLUNTEER, community_id=community_id)
        if not has_volunteer:
            v = person.volunteer
            db.session.add(
                VolunteerProfile(
                    **owner,
                    home_community_id=community_id,
                    work_unit_id=unit_ids[v["work_unit"]] if v["work_unit"] else None,
                    is_party_member=v["is_party_member"],
                    skills=v["skills"],
                    joined_on=v["joined_on"] or local_today(),
                )
            )
            given = True
    if person.resident is not None:
        grant(Role.RESIDENT, community_id=community_id)
        if not has_resident:
            db.session.add(ResidentProfile(**owner, community_id=community_id, **person.resident))
            given = True
    return given


# --- the job ----------------------------------------------------------------------------------


def importing_community(actor: User | None, community_id: int) -> Community:
    """The community whose people the actor imports, checked before anything is read.

    :raise NotFound: not one of her communities. :raise Forbidden: she does not manage it.
    """
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    return community


def create_import_job(
    actor: User, community_id: int, *, filename: str, total_rows: int
) -> PeopleImportJob:
    """A queued job for an upload the secretary made. :raise NotFound, Forbidden: not her
    community."""
    community = importing_community(actor, community_id)
    job = PeopleImportJob(
        community_id=community.id,
        user_id=actor.id,
        filename=filename[:255],
        total_rows=total_rows,
        error_rows=[],
        counts={},
        created_user_ids=[],
    )
    db.session.add(job)
    db.session.flush()
    return job


def get_import_job(actor: User | None, job_id: int) -> PeopleImportJob:
    """:raise NotFound: no such job, or not of the actor's communities. :raise Forbidden: she
    does not manage the job's community."""
    job = db.session.get(PeopleImportJob, job_id)
    if job is None:
        raise NotFound()
    community = alliance_queries.get_community(actor, job.community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    return job


def recent_import_jobs(community_id: int, limit: int = 5) -> list[PeopleImportJob]:
    return importing.recent_jobs(PeopleImportJob, community_id, limit)


def _check(job: PeopleImportJob, rows: dict[Kind, list[excel.Row]], progress):
    community = db.session.get(Community, job.community_id)
    return check_rows(community, rows, today=local_today(), progress=progress)


def _write(actor: User, job: PeopleImportJob, checked: Checked) -> None:
    done = import_people(actor, job.community_id, checked, now=utcnow())
    job.counts = done["counts"]
    job.created_user_ids = done["created_user_ids"]


importing.register(
    importing.ImportKind(
        model=PeopleImportJob,
        read=excel.read_workbook,
        check=_check,
        write=_write,
        crashed=lambda: _("导入时出错，没有导入任何人员，请稍后重试。"),
    )
)


def print_import_invitations(
    actor: User, community_id: int, import_id: int, *, now: datetime
) -> service.Printed:
    """Fresh codes for the people this import created (those who have not set a password yet).

    :raise NotFound: no such import of this community. :raise Forbidden: as get_import_job.
    """
    job = get_import_job(actor, import_id)
    if job.community_id != community_id:
        raise NotFound()
    return service.print_invitations(actor, community_id, job.created_user_ids, now=now)
