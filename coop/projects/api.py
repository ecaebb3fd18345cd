from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.categories import Category
from coop.claims import service as claims_service
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.pagination import paginate
from coop.projects import queries, service
from coop.projects.models import ProjectStatus
from coop.projects.schemas import (
    LeadIn,
    MenuArgs,
    MenuGroupOut,
    ProjectArgs,
    ProjectEdit,
    ProjectIn,
    ProjectOut,
    preload_claimants,
)
from coop.schemas import ReasonIn, patch_of
from coop.uow import unit_of_work

blp = signed_in_blueprint("projects_api", __name__, "服务项目清单 · projects")


@blp.route("/projects")
class Projects(MethodView):
    @blp.arguments(ProjectArgs, location="query")
    @blp.response(200, page_schema(ProjectOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Projects of the caller's communities; drafts only for the secretary."""
        query = queries.projects_select(
            require_actor(),
            community_id=args.get("community_id"),
            status=args.get("status"),
            category=args.get("category"),
            mode=args.get("mode"),
            q=args.get("q"),
        )
        page = paginate(query, args["page"], args["per_page"])
        preload_claimants(page["items"])
        return page

    @blp.arguments(ProjectIn)
    @blp.response(201, ProjectOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields):
        """The secretary compiles a draft project from listed needs of her community. Times
        without an offset are Asia/Shanghai."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.create_project(actor, fields.pop("community_id"), **fields)
        return project


@blp.route("/projects/menu")
class Menu(MethodView):
    @blp.arguments(MenuArgs, location="query")
    @blp.response(200, MenuGroupOut(many=True))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """点单菜单: the projects open for claiming, grouped by the five categories in order
        (a category with none has an empty list)."""
        query = queries.projects_select(
            require_actor(), community_id=args.get("community_id"), status=ProjectStatus.PUBLISHED
        )
        projects = db.session.scalars(query).all()
        preload_claimants(projects)
        return [
            {
                "category": category,
                "label": category.label,
                "projects": [p for p in projects if p.category is category],
            }
            for category in Category
        ]


@blp.route("/projects/<int:project_id>")
class ProjectDetail(MethodView):
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 401, 404)
    def get(self, project_id):
        """One project; a draft or another community's is a 404 to those who may not see it."""
        return queries.get_project(require_actor(), project_id)

    @blp.arguments(patch_of(ProjectEdit))
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, project_id):
        """Edit a project (secretary): only the fields sent change. A draft changes freely;
        published or claimed, its needs, category, mode and auto_approve stay (409
        ``project_not_editable``, as for a project past claiming), slots never drop below the
        approved claims, its sessions stay within its dates and a new claim deadline lies
        ahead (422). Live claimants are told what changed. 409 ``version_conflict`` when
        someone saved it since ``version``."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.edit_project(actor, project_id, now=utcnow(), **fields)
        return project


@blp.route("/projects/<int:project_id>/publish")
class PublishProject(MethodView):
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, project_id):
        """Put a draft on the menu; it needs a need and a claim deadline still ahead (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.publish_project(actor, project_id, now=utcnow())
        return project


@blp.route("/projects/<int:project_id>/start")
class StartProject(MethodView):
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, project_id):
        """Work begins and claiming closes (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.start_project(actor, project_id)
        return project


@blp.route("/projects/<int:project_id>/complete")
class CompleteProject(MethodView):
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, project_id):
        """The work is delivered; the project's needs are resolved with it (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.complete_project(actor, project_id)
        return project


@blp.route("/projects/<int:project_id>/cancel")
class CancelProject(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, project_id):
        """Call a project off with a reason: its needs go back on the list and its live claims
        end (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.cancel_project(actor, project_id, **fields)
        return project


@blp.route("/projects/<int:project_id>/lead")
class ProjectLead(MethodView):
    @blp.arguments(LeadIn)
    @blp.response(200, ProjectOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, project_id):
        """Pick the lead unit of a team project among its approved claims (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            project = claims_service.set_lead(actor, project_id, fields["claim_id"])
        return project
