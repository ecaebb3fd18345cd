from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop import xlsx
from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.auth import invitations
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.hours.queries import volunteer_totals
from coop.htmx import render
from coop.ledger import balance
from coop.notices import inbox
from coop.pagination import paginate
from coop.people import departure, editing, export, queries, service
from coop.people.invitation_views import hand_over
from coop.people.schemas import AnonymiseIn, PeopleArgs, PersonEdit, PersonIn
from coop.people.service import PERSON_ROLES, STAFF_ROLES
from coop.privacy import mask_phone
from coop.schemas import ReasonIn, load_form
from coop.uow import unit_of_work

bp = Blueprint("people", __name__)


@bp.get("/me")
@login_required
def me():
    actor = require_actor()
    volunteer = getattr(actor, "volunteer", None)
    return render(
        "people/me.html",
        person=actor,
        volunteer=volunteer,
        resident=getattr(actor, "resident", None),
        communities=alliance_queries.communities_for(actor),
        totals=volunteer_totals(actor.id) if volunteer else None,
        notices_summary=inbox.summary(actor.id),
        **(balance.of_volunteer(actor) if volunteer else {}),
    )


def _listed(actor, community_id: int):
    """The list's query under the page's filters; the page and its export share it.
    :raise NotFound, Forbidden: as people_select."""
    args, errors = load_form(PeopleArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    query = queries.people_select(
        actor,
        community_id,
        role=args.get("role"),
        q=args.get("q", ""),
        active=args.get("active"),
    )
    return query, args


EXPORT_HEADERS = (("姓名", 12), ("用户名", 16), ("手机号", 14), ("身份", 24), ("状态", 8))


@bp.get("/communities/<int:community_id>/people/export.xlsx")
@login_required
def export_people(community_id: int):
    actor = require_actor()
    query, _args = _listed(actor, community_id)
    community = alliance_queries.get_community(actor, community_id)
    rows = (
        [
            p.display_name,
            p.username,
            mask_phone(p.phone),
            "、".join(p.role_labels),
            _("在用") if p.is_active else _("已停用"),
        ]
        for p in xlsx.streamed(query)
    )
    return xlsx.list_export("人员名单", EXPORT_HEADERS, rows, place=community.name, slug="people")


@bp.get("/communities/<int:community_id>/people")
@login_required
def people(community_id: int):
    actor = require_actor()
    query, args = _listed(actor, community_id)
    community = alliance_queries.get_community(actor, community_id)
    count = None
    if not args.get("q"):
        count = queries.member_count(community.id, role=args.get("role"), active=args.get("active"))
    page = paginate(query, args["page"], args["per_page"], count=count)
    can_manage = departure.can_manage_departures(actor, community)
    return render(
        "people/list.html",
        block="people_rows",
        community=community,
        page=page,
        editable=editing.editable_people(actor, community, page["items"]),
        args=args,
        roles=list(Role),
        can_manage=permissions.can_manage_community(actor, community),
        # who has not set her own password yet, and whose invitation is still live
        no_password={p.id for p in page["items"] if not invitations.has_password(p)},
        invited=invitations.pending_invitations([p.id for p in page["items"]], now=utcnow()),
        staff={p.id for p in page["items"] if any(g.role in STAFF_ROLES for g in p.grants)},
        departures=departure.latest_departures(p.id for p in page["items"]),
        # which rows get 停用: not staff, not herself (the service says so again)
        deactivatable={
            p.id for p in page["items"] if can_manage and departure.can_deactivate(actor, p)
        },
    )


@bp.route(
    "/communities/<int:community_id>/people/<int:user_id>/deactivate", methods=["GET", "POST"]
)
@login_required
def deactivate(community_id: int, user_id: int):
    """The confirmation step: what deactivating her ends, and the reason."""
    actor = require_actor()
    community, person = departure.get_person(actor, community_id, user_id)
    context = {
        "community": community,
        "person": person,
        "will": departure.consequences(actor, community.id, person.id, now=utcnow()),
    }
    if request.method == "GET":
        return render("people/deactivate.html", form={}, errors={}, **context)
    retry_form("people/deactivate.html", **context)
    data, errors = load_form(ReasonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        done = departure.deactivate_person(
            actor, community.id, person.id, reason=data["reason"], now=utcnow()
        )
    flash(
        _(
            "已停用“%(name)s”：取消 %(signups)d 个报名，撤回 %(claims)d 个认领，"
            "取消 %(reservations)d 件兑换。",
            name=person.display_name,
            signups=len(done.signups),
            claims=len(done.claims),
            reservations=len(done.reservations),
        ),
        "success",
    )
    return redirect(url_for("people.people", community_id=community.id, status="inactive"))


@bp.post("/communities/<int:community_id>/people/<int:user_id>/reactivate")
@login_required
def reactivate(community_id: int, user_id: int):
    actor = require_actor()
    with unit_of_work(actor):
        person = departure.reactivate_person(actor, community_id, user_id, now=utcnow())
        name = person.display_name
    flash(_("已恢复“%(name)s”，她可以重新登录。", name=name), "success")
    return redirect(url_for("people.people", community_id=community_id))


@bp.route("/communities/<int:community_id>/people/<int:user_id>/anonymise", methods=["GET", "POST"])
@login_required
def anonymise(community_id: int, user_id: int):
    """The confirmation step of an irreversible act."""
    actor = require_actor()
    community, person = departure.get_person(actor, community_id, user_id)
    context = {"community": community, "person": person}
    if request.method == "GET":
        return render("people/anonymise.html", form={}, errors={}, **context)
    retry_form("people/anonymise.html", **context)
    _data, errors = load_form(AnonymiseIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    name = person.display_name
    with unit_of_work(actor):
        departure.anonymise_person(actor, community.id, person.id, now=utcnow())
    flash(_("已注销“%(name)s”的个人信息。", name=name), "success")
    return redirect(url_for("people.people", community_id=community.id, status="inactive"))


@bp.get("/me/export.xlsx")
@login_required
def my_data():
    return xlsx.attachment(export.my_data(require_actor()), *export.file_names())


@bp.route("/communities/<int:community_id>/people/new", methods=["GET", "POST"])
@login_required
def new_person(community_id: int):
    actor = require_actor()
    community = alliance_queries.get_community(actor, community_id)
    permissions.require(permissions.can_manage_community(actor, community))
    units = paginate(alliance_queries.units_select(actor, community_id=community.id), 1, 200)
    context = {
        "community": community,
        "role_options": [(role.value, role.label) for role in PERSON_ROLES],
        "unit_options": [(unit.id, unit.name) for unit in units["items"]],
        "neighbourhood_options": [(n.id, n.name) for n in community.neighbourhoods],
    }
    if request.method == "GET":
        role = request.args.get("role", Role.VOLUNTEER.value)
        return render("people/person_form.html", form={"role": role}, errors={}, **context)
    retry_form("people/person_form.html", **context)
    data, errors = load_form(PersonIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        added = service.add_person(actor, community.id, **data, now=utcnow())
        flash(_("已添加“%(name)s”。", name=added.person.display_name), "success")
        hand_over(added)  # her code is shown once, on the page this sends her to
        return redirect(
            url_for(
                "people_invitations.invitation", community_id=community.id, user_id=added.person.id
            )
        )

    return submit_once(actor, create)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
def edit_person(person_id: int):
    """From the people list (the secretary) or from 我的 (herself)."""
    actor = require_actor()
    person = editing.get_person(actor, person_id)
    names = editing.editable_fields(actor, person)
    permissions.require(bool(names))
    community_id = editing.managing_community_id(actor, person)
    back = (
        url_for("people.me")
        if person.id == actor.id or community_id is None
        else url_for("people.people", community_id=community_id)
    )
    context = {"person": person, "names": names, "back": back, "unit_options": [], "nbh": []}
    if "work_unit_id" in names:
        units = alliance_queries.units_select(
            actor, community_id=person.volunteer.home_community_id
        )
        context["unit_options"] = [(u.id, u.name) for u in paginate(units, 1, 200)["items"]]
    if "neighbourhood_id" in names:
        context["nbh"] = [(n.id, n.name) for n in person.resident.community.neighbourhoods]
    if request.method == "GET":
        form = editing.current_values(person)
        return render("people/edit.html", form=form, errors={}, **context)
    retry_form("people/edit.html", **context)
    data, errors = load_form(PersonEdit(only=(*names, "version")), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        editing.edit_person(actor, person.id, **data)
    flash(_("已保存“%(name)s”的资料。", name=data["display_name"]), "success")
    return redirect(back)
