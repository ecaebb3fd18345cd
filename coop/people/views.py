from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.pagination import paginate
from coop.people import editing, queries, service
from coop.people.schemas import PeopleArgs, PersonEdit, PersonIn
from coop.people.service import PERSON_ROLES
from coop.schemas import load_form
from coop.uow import unit_of_work

bp = Blueprint("people", __name__)


@bp.get("/me")
@login_required
def me():
    actor = require_actor()
    return render(
        "people/me.html",
        person=actor,
        volunteer=getattr(actor, "volunteer", None),
        resident=getattr(actor, "resident", None),
        communities=alliance_queries.communities_for(actor),
    )


@bp.get("/communities/<int:community_id>/people")
@login_required
def people(community_id: int):
    actor = require_actor()
    args, errors = load_form(PeopleArgs(), request.args)
    if errors:
        raise Invalid(errors=errors)
    query = queries.people_select(actor, community_id, role=args.get("role"), q=args.get("q", ""))
    community = alliance_queries.get_community(actor, community_id)
    page = paginate(query, args["page"], args["per_page"])
    return render(
        "people/list.html",
        block="people_rows",
        community=community,
        page=page,
        editable=editing.editable_people(actor, community, page["items"]),
        args=args,
        roles=list(Role),
        can_manage=permissions.can_manage_community(actor, community),
    )


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
        person = service.add_person(actor, community.id, **data)
        flash(_("已添加“%(name)s”。", name=person.display_name), "success")
        return redirect(url_for("people.people", community_id=community.id))

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
