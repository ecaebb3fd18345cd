"""The first-run page and the street admin's 社区设置 and 人员与职务 pages."""

import segno
from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from coop.alliance.permissions import require
from coop.auth.current import login_required, require_actor, sign_in
from coop.auth.models import Role, StaffTitle
from coop.dbtypes import utcnow
from coop.errors import Invalid, NotFound, retry_form
from coop.forms import submit_once
from coop.htmx import render
from coop.schemas import load_form
from coop.setup import first_run as installation
from coop.setup import permissions, queries, service, staff
from coop.setup.models import GridPost
from coop.setup.people import Person
from coop.setup.schemas import (
    CommunityIn,
    CommunityStaffIn,
    GridPostIn,
    NeighbourhoodIn,
    SetUpForm,
    StreetAdminIn,
)
from coop.uow import unit_of_work

bp = Blueprint("setup", __name__)

# A new person's invitation code, carried to the next page she sees and shown there once.
_NEW_INVITATION = "coop.new_invitation"


@bp.route("/setup", methods=["GET", "POST"])
def first_run():
    """The first page of a new installation: the street and its first admin; then gone."""
    if installation.is_set_up():
        abort(404)
    if request.method == "GET":
        return render("setup/first_run.html", form={}, errors={})
    retry_form("setup/first_run.html")
    data, errors = load_form(SetUpForm(), request.form)
    if errors:
        raise Invalid(errors=errors)
    data.pop("password_repeat")
    with unit_of_work():
        admin = installation.set_up(**data)
        sign_in(admin)
    flash(_("街道已建立，欢迎，%(name)s！下一步：添加社区。", name=admin.display_name), "success")
    return redirect(url_for("alliance.communities"))


# --- 社区设置 ---------------------------------------------------------------------------------


def _streets() -> set[int]:
    """The actor's streets. :raise Forbidden: she administers none."""
    streets = permissions.administered_street_ids(require_actor())
    require(bool(streets))
    return streets


@bp.get("/settings/communities")
@login_required
def communities():
    streets = _streets()
    rows = [
        (community, queries.staff_grants(community.id))
        for community in queries.street_communities(streets)
    ]
    admins = [(street_id, queries.street_admin_grants(street_id)) for street_id in sorted(streets)]
    return render(
        "setup/communities.html",
        rows=rows,
        admins=admins,
        invitation=_take_invitation(),
    )


@bp.route("/settings/communities/new", methods=["GET", "POST"])
@login_required
def new_community():
    actor = require_actor()
    _streets()
    if request.method == "GET":
        return render("setup/community_form.html", form={}, errors={})
    retry_form("setup/community_form.html")
    data, errors = load_form(CommunityIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        community = service.create_community(actor, **data)
        flash(
            _(
                "已建立“%(name)s”和“%(alliance)s”。请添加邻里单元并任命社区书记。",
                name=community.name,
                alliance=community.alliance.name,
            ),
            "success",
        )
        return redirect(url_for("setup.community", community_id=community.id))

    return submit_once(actor, create)


@bp.get("/settings/communities/<int:community_id>")
@login_required
def community(community_id: int):
    community = service.community_to_set_up(require_actor(), community_id)
    return render(
        "setup/community.html",
        community=community,
        grids=queries.grids(community),
        staff=queries.staff_grants(community.id),
        has_secretary=queries.community_secretary(community.id) is not None,
        invitation=_take_invitation(),
    )


@bp.route("/settings/communities/<int:community_id>/neighbourhoods/new", methods=["GET", "POST"])
@login_required
def new_neighbourhood(community_id: int):
    actor = require_actor()
    community = service.community_to_set_up(actor, community_id)
    if request.method == "GET":
        return render("setup/neighbourhood_form.html", form={}, errors={}, community=community)
    retry_form("setup/neighbourhood_form.html", community=community)
    data, errors = load_form(NeighbourhoodIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        neighbourhood = service.add_neighbourhood(actor, community.id, **data)
        flash(_("已添加邻里单元“%(name)s”。", name=neighbourhood.name), "success")
        return redirect(url_for("setup.community", community_id=community.id))

    return submit_once(actor, create)


@bp.route("/settings/neighbourhoods/<int:neighbourhood_id>", methods=["GET", "POST"])
@login_required
def neighbourhood(neighbourhood_id: int):
    """The grid's page: its 网格长 and 网格员, and its name, 户数 and description."""
    actor = require_actor()
    found = service.neighbourhood_to_set_up(actor, neighbourhood_id)
    context = {
        "community": found.community,
        "neighbourhood": found,
        "grid": queries.grid_of(found),
    }
    if request.method == "GET":
        form = {
            "name": found.name,
            "description": found.description,
            "households": found.households,
        }
        return render(
            "setup/neighbourhood.html",
            form=form,
            errors={},
            invitation=_take_invitation(),
            **context,
        )
    retry_form("setup/neighbourhood.html", invitation=None, **context)
    data, errors = load_form(NeighbourhoodIn(), request.form)
    if errors:
        raise Invalid(errors=errors)
    with unit_of_work(actor):
        service.update_neighbourhood(actor, found.id, **data)
    flash(_("已保存“%(name)s”。", name=data["name"]), "success")
    return redirect(url_for("setup.neighbourhood", neighbourhood_id=found.id))


@bp.route("/settings/neighbourhoods/<int:neighbourhood_id>/posts/new", methods=["GET", "POST"])
@login_required
def new_grid_post(neighbourhood_id: int):
    actor = require_actor()
    found = service.neighbourhood_to_set_up(actor, neighbourhood_id)
    context = {
        "neighbourhood": found,
        "post_options": [(p.value, p.label) for p in GridPost],
        "people_options": [
            (person.id, person.display_name) for person in queries.community_people(found.community)
        ],
    }
    if request.method == "GET":
        post = request.args.get("post", GridPost.MEMBER.value)
        return render("setup/grid_post_form.html", form={"post": post}, errors={}, **context)
    retry_form("setup/grid_post_form.html", **context)
    data, errors = load_form(GridPostIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        assignment, person = service.appoint_grid_post(actor, found.id, now=utcnow(), **data)
        _remember_invitation(person)
        flash(
            _(
                "已任命%(name)s为%(post)s。",
                name=person.user.display_name,
                post=assignment.post.label,
            ),
            "success",
        )
        return redirect(url_for("setup.neighbourhood", neighbourhood_id=found.id))

    return submit_once(actor, create)


@bp.route("/settings/grid-posts/<int:assignment_id>/remove", methods=["GET", "POST"])
@login_required
def remove_grid_post(assignment_id: int):
    actor = require_actor()
    assignment = service.grid_post(actor, assignment_id)
    back = url_for("setup.neighbourhood", neighbourhood_id=assignment.neighbourhood_id)
    if request.method == "GET":
        return render(
            "setup/confirm_remove.html",
            what=_(
                "免去%(name)s的%(post)s职务（%(grid)s）",
                name=assignment.user.display_name,
                post=assignment.post.label,
                grid=assignment.neighbourhood.name,
            ),
            consequence=_("她仍是本社区的人员，只是不再担任这一网格职务。"),
            back=back,
        )
    with unit_of_work(actor):
        service.remove_grid_post(actor, assignment.id)
    flash(_("已免去网格职务。"), "success")
    return redirect(back)


@bp.route("/settings/communities/<int:community_id>/staff/new", methods=["GET", "POST"])
@login_required
def new_staff(community_id: int):
    actor = require_actor()
    community = service.community_to_set_up(actor, community_id)
    context = {
        "community": community,
        "title_options": [(t.value, t.label) for t in StaffTitle],
    }
    if request.method == "GET":
        taken = queries.community_secretary(community.id) is not None
        default = StaffTitle.STAFF if taken else StaffTitle.SECRETARY
        title = request.args.get("title", default.value)
        return render("setup/staff_form.html", form={"title": title}, errors={}, **context)
    retry_form("setup/staff_form.html", **context)
    data, errors = load_form(CommunityStaffIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        grant, person = staff.appoint_staff(actor, community.id, now=utcnow(), **data)
        _remember_invitation(person)
        flash(
            _(
                "已任命%(name)s为%(community)s的%(title)s。",
                name=person.user.display_name,
                community=community.name,
                title=grant.label,
            ),
            "success",
        )
        return redirect(url_for("setup.community", community_id=community.id))

    return submit_once(actor, create)


@bp.route(
    "/settings/communities/<int:community_id>/staff/<int:grant_id>/remove", methods=["GET", "POST"]
)
@login_required
def remove_staff(community_id: int, grant_id: int):
    """Removing asks first: she loses the community's pages at once."""
    actor = require_actor()
    grant = staff.staff_grant(actor, community_id, grant_id)
    back = url_for("setup.community", community_id=community_id)
    if request.method == "GET":
        return render(
            "setup/confirm_remove.html",
            what=_(
                "免去%(name)s的%(community)s%(title)s职务",
                name=grant.user.display_name,
                community=grant.community.name,
                title=grant.label,
            ),
            consequence=_("免去后，她立即不能再管理这个社区（需求、项目、活动、人员）。"),
            back=back,
        )
    with unit_of_work(actor):
        staff.remove_staff(actor, community_id, grant.id)
    flash(_("已免去职务。"), "success")
    return redirect(back)


@bp.route("/settings/street-admins/new", methods=["GET", "POST"])
@login_required
def new_street_admin():
    actor = require_actor()
    streets = _streets()
    street_id = min(streets)
    if request.method == "GET":
        return render("setup/street_admin_form.html", form={}, errors={})
    retry_form("setup/street_admin_form.html")
    data, errors = load_form(StreetAdminIn(), request.form)
    if errors:
        raise Invalid(errors=errors)

    def create():
        _grant, person = staff.appoint_street_admin(actor, street_id, now=utcnow(), **data)
        _remember_invitation(person)
        flash(_("已任命%(name)s为街道管理员。", name=person.user.display_name), "success")
        return redirect(url_for("setup.communities"))

    return submit_once(actor, create)


@bp.route("/settings/street-admins/<int:grant_id>/remove", methods=["GET", "POST"])
@login_required
def remove_street_admin(grant_id: int):
    actor = require_actor()
    grant = staff.street_admin_grant(actor, grant_id)
    back = url_for("setup.communities")
    if request.method == "GET":
        return render(
            "setup/confirm_remove.html",
            what=_("免去%(name)s的街道管理员职务", name=grant.user.display_name),
            consequence=_("免去后，她立即不能再设置社区、任免人员。"),
            back=back,
        )
    with unit_of_work(actor):
        staff.remove_street_admin(actor, grant.id)
    flash(_("已免去职务。"), "success")
    return redirect(back if grant.user_id != actor.id else url_for("shell.home"))


# --- 人员与职务 -------------------------------------------------------------------------------


@bp.get("/settings/people")
@login_required
def people():
    """Who holds which post in which community of her street, filterable by community."""
    streets = _streets()
    communities = queries.street_communities(streets)
    chosen = request.args.get("community_id", "")
    shown = communities
    if chosen:
        shown = [c for c in communities if str(c.id) == chosen]
        if not shown:
            raise NotFound()
    return render(
        "setup/people.html",
        communities=communities,
        chosen=chosen,
        posts=[queries.community_posts(c) for c in shown],
        admins=[(s, queries.street_admin_grants(s)) for s in sorted(streets)],
        roles=Role,
    )


# --- the invitation shown once ----------------------------------------------------------------


def _remember_invitation(person: Person) -> None:
    if person.invitation_code is not None:
        session[_NEW_INVITATION] = {
            "name": person.user.display_name,
            "username": person.user.username,
            "code": person.invitation_code,
        }


def _take_invitation() -> dict | None:
    """The code of the person just added, with its QR; gone from the session once shown."""
    shown = session.pop(_NEW_INVITATION, None)
    if not shown:
        return None
    link = url_for("auth.invitation", code=shown["code"], _external=True)
    qr = segno.make(link, "m", micro=False)
    return {
        **shown,
        "link": link,
        "qr_svg": Markup(qr.svg_inline(scale=5, title=_("邀请码二维码"))),
    }
