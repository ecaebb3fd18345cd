from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from coop.alliance import permissions
from coop.alliance import queries as alliance_queries
from coop.auth import invitations
from coop.auth.current import login_required, require_actor
from coop.auth.models import Role
from coop.dbtypes import utcnow
from coop.errors import Invalid, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.pagination import paginate
from coop.people import queries, service
from coop.people.invitation_views import hand_over
from coop.people.schemas import PeopleArgs, PersonIn
from coop.people.service import PERSON_ROLES, STAFF_ROLES
from coop.schemas import load_form

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
        args=args,
        roles=list(Role),
        can_manage=permissions.can_manage_community(actor, community),
        # who has not set her own password yet, and whose invitation is still live
        no_password={p.id for p in page["items"] if not invitations.has_password(p)},
        invited=invitations.pending_invitations([p.id for p in page["items"]], now=utcnow()),
        staff={p.id for p in page["items"] if any(g.role in STAFF_ROLES for g in p.grants)},
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
        added = service.add_person(actor, community.id, **data, now=utcnow())
        flash(_("已添加“%(name)s”。", name=added.person.display_name), "success")
        hand_over(added)  # her code is shown once, on the page this sends her to
        return redirect(
            url_for(
                "people_invitations.invitation", community_id=community.id, user_id=added.person.id
            )
        )

    return submit_once(actor, create)
