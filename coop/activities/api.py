import io

import sqlalchemy as sa
from flask import Response
from flask.views import MethodView
from sqlalchemy.orm import selectinload

from coop import idempotency
from coop.activities import permissions, queries, service
from coop.activities.models import Activity, Feedback
from coop.activities.schemas import (
    ActivityArgs,
    ActivityEdit,
    ActivityIn,
    ActivityOut,
    CodeIn,
    FeedbackIn,
    FeedbackOut,
    FeedbackPage,
    SignupIn,
    SignupOut,
    VolunteerIn,
    checkin_qr,
    preload_my_signups,
)
from coop.alliance.permissions import require
from coop.apidoc import PageArgs, documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.extensions import db
from coop.hours.schemas import ServiceRecordOut
from coop.pagination import paginate
from coop.projects import queries as project_queries
from coop.schemas import ReasonIn, patch_of
from coop.uow import unit_of_work

blp = signed_in_blueprint(
    "activities_api", __name__, "活动场次 · activities, sign-ups, check-in and feedback"
)


@blp.route("/projects/<int:project_id>/activities")
class ProjectActivities(MethodView):
    @blp.arguments(ActivityIn)
    @blp.response(201, ActivityOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, project_id):
        """Schedule a session of a project (secretary, or the lead unit's liaison). Times without
        an offset are Asia/Shanghai; 422 when the project is a draft or over."""
        actor = require_actor()
        project = project_queries.get_project(actor, project_id)
        with unit_of_work(actor):
            activity = service.schedule_activity(
                actor, project.community_id, project_id=project.id, **fields
            )
        return activity


@blp.route("/communities/<int:community_id>/activities")
class CommunityActivities(MethodView):
    @blp.arguments(ActivityIn)
    @blp.response(201, ActivityOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, community_id):
        """Schedule a stand-alone activity, e.g. the month's 月月红 theme (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            activity = service.schedule_activity(actor, community_id, **fields)
        return activity


@blp.route("/activities")
class Activities(MethodView):
    @blp.arguments(ActivityArgs, location="query")
    @blp.response(200, page_schema(ActivityOut))
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Activities of the caller's communities, newest first; ``upcoming=true`` for those not
        yet over and not cancelled, soonest first; ``month=YYYY-MM`` for those ending in that
        month (the dashboard's monthly figure). A malformed month is a 422."""
        query = queries.activities_select(
            require_actor(),
            community_id=args.get("community_id"),
            project_id=args.get("project_id"),
            upcoming_from=utcnow() if args["upcoming"] else None,
            month=args.get("month") or None,
        ).options(selectinload(Activity.project))
        page = paginate(query, args["page"], args["per_page"])
        preload_my_signups(page["items"])
        return page


@blp.route("/activities/<int:activity_id>")
class ActivityDetail(MethodView):
    @blp.response(200, ActivityOut)
    @documents_errors(blp, 401, 404)
    def get(self, activity_id):
        """One activity with its free seats and the caller's own sign-up; ``checkin_code`` and
        ``checkin_url`` only for its organisers."""
        return queries.get_activity(require_actor(), activity_id)

    @blp.arguments(patch_of(ActivityEdit))
    @blp.response(200, ActivityOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def patch(self, fields, activity_id):
        """Edit a session before it starts (organisers): only the fields sent change, by the
        rules that scheduled it; capacity never below the confirmed sign-ups (422). Everyone
        signed up is told what changed. 409 ``version_conflict`` when someone saved it since
        ``version``, ``activity_started`` once it has begun, ``activity_cancelled``."""
        actor = require_actor()
        with unit_of_work(actor):
            activity = service.edit_activity(actor, activity_id, now=utcnow(), **fields)
        return activity


@blp.route("/activities/<int:activity_id>/rotate-code")
class RotateCode(MethodView):
    @blp.response(200, ActivityOut)
    @documents_errors(blp, 401, 403, 404)
    def post(self, activity_id):
        """A new check-in code; the old one and its QR stop working (organisers)."""
        actor = require_actor()
        with unit_of_work(actor):
            activity = service.rotate_code(actor, activity_id)
        return activity


@blp.route("/activities/<int:activity_id>/cancel")
class CancelActivity(MethodView):
    @blp.arguments(ReasonIn)
    @blp.response(200, ActivityOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, activity_id):
        """Call the activity off; everyone signed up is told why (organisers). 409
        activity_cancelled when it was already."""
        actor = require_actor()
        with unit_of_work(actor):
            activity = service.cancel_activity(actor, activity_id, **fields)
        return activity


@blp.route("/activities/<int:activity_id>/qr.svg")
class ActivityQr(MethodView):
    @blp.response(
        200,
        content_type="image/svg+xml",
        description="An SVG QR code of the check-in page's link, code included",
    )
    @blp.doc(
        responses={
            "200": {
                "description": "An SVG QR code of the check-in page's link, code included",
                "content": {"image/svg+xml": {"schema": {"type": "string"}}},
            }
        }
    )
    @documents_errors(blp, 401, 403, 404)
    def get(self, activity_id):
        """The QR to print or show at the door: it opens the check-in page with the code filled
        in (organisers)."""
        actor = require_actor()
        activity = queries.get_activity(actor, activity_id)
        require(permissions.can_run(actor, activity))
        svg = io.BytesIO()
        checkin_qr(activity).save(svg, kind="svg", scale=8, border=2, title=activity.title)
        # The code rotates and is for organisers only: no shared or stale copies.
        return Response(
            svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"}
        )


@blp.route("/activities/<int:activity_id>/signups")
class ActivitySignups(MethodView):
    @blp.arguments(SignupIn)
    @blp.response(201, SignupOut)
    @blp.doc(parameters=[idempotency.HEADER_DOC])
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, activity_id):
        """A volunteer of the community takes a seat, or with ``waitlist`` a place in line. 409:
        activity_full, overlapping_signup, already_signed_up, activity_cancelled,
        idempotency_mismatch."""
        actor = require_actor()

        def create() -> dict:
            signup = service.sign_up(actor, activity_id, now=utcnow(), **fields)
            return SignupOut().dump(signup)

        return idempotency.respond_once(actor, fields, create, 201)

    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(SignupOut))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, activity_id):
        """Who is coming: the confirmed, then the waiting list, with their check-in state
        (organisers)."""
        actor = require_actor()
        activity = queries.get_activity(actor, activity_id)
        require(permissions.can_run(actor, activity))
        signups = queries.signups_of(activity.id)
        start = (args["page"] - 1) * args["per_page"]
        return {
            "items": signups[start : start + args["per_page"]],
            "total": len(signups),
            "page": args["page"],
            "per_page": args["per_page"],
        }


@blp.route("/activities/<int:activity_id>/signups/me")
class MySignup(MethodView):
    @blp.response(200, SignupOut)
    @documents_errors(blp, 401, 404, 409, 422)
    def delete(self, activity_id):
        """She cancels her sign-up; a seat she held goes to the first in line. 409
        not_signed_up; 422 once she has checked in."""
        actor = require_actor()
        with unit_of_work(actor):
            signup = service.cancel_signup(actor, activity_id, now=utcnow())
        return signup


@blp.route("/activities/<int:activity_id>/checkin")
class CheckIn(MethodView):
    @blp.arguments(CodeIn)
    @blp.response(200, SignupOut)
    @documents_errors(blp, 400, 401, 404, 409, 422, 429)
    def post(self, fields, activity_id):
        """签到 with the activity's code, from 30 minutes before the start to its end. 422
        wrong_code; 409 checkin_closed, not_signed_up, already_checked_in, activity_cancelled;
        429 too_many_checkin_codes (5 wrong codes in 10 minutes; see Retry-After)."""
        actor = require_actor()
        with unit_of_work(actor):
            signup = service.check_in(actor, activity_id, now=utcnow(), **fields)
        return signup


@blp.route("/activities/<int:activity_id>/checkout")
class CheckOut(MethodView):
    @blp.arguments(CodeIn)
    @blp.response(201, ServiceRecordOut)
    @documents_errors(blp, 400, 401, 404, 409, 422, 429)
    def post(self, fields, activity_id):
        """签退: the time since check-in (at most the session's length) becomes a pending
        service record. 422 wrong_code; 409 not_checked_in, already_checked_out; 429
        too_many_checkin_codes."""
        actor = require_actor()
        with unit_of_work(actor):
            record = service.check_out(actor, activity_id, now=utcnow(), **fields)
        return record


@blp.route("/activities/<int:activity_id>/checkin-for")
class CheckInFor(MethodView):
    @blp.arguments(VolunteerIn)
    @blp.response(200, SignupOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, activity_id):
        """Check a volunteer without a phone in on her behalf, signing her up if a seat is free
        (organisers). 409 activity_full, checkin_closed, already_checked_in."""
        actor = require_actor()
        with unit_of_work(actor):
            signup = service.check_in_for(actor, activity_id, fields["volunteer_id"], now=utcnow())
        return signup


@blp.route("/activities/<int:activity_id>/checkout-for")
class CheckOutFor(MethodView):
    @blp.arguments(VolunteerIn)
    @blp.response(201, ServiceRecordOut)
    @documents_errors(blp, 400, 401, 403, 404, 409, 422)
    def post(self, fields, activity_id):
        """Check a volunteer out on her behalf; her pending service record is created
        (organisers). 409 not_checked_in, already_checked_out."""
        actor = require_actor()
        with unit_of_work(actor):
            record = service.check_out_for(actor, activity_id, fields["volunteer_id"], now=utcnow())
        return record


@blp.route("/activities/<int:activity_id>/feedback")
class ActivityFeedback(MethodView):
    @blp.arguments(FeedbackIn)
    @blp.response(201, FeedbackOut)
    @documents_errors(blp, 400, 401, 403, 404, 422)
    def post(self, fields, activity_id):
        """满意度评价 once the activity has begun, recorded by the secretary (for the
        beneficiary, if she names her)."""
        actor = require_actor()
        with unit_of_work(actor):
            feedback = service.record_feedback(actor, activity_id, now=utcnow(), **fields)
        return feedback


@blp.route("/projects/<int:project_id>/feedback")
class ProjectFeedback(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, FeedbackPage)
    @documents_errors(blp, 401, 404, 422)
    def get(self, args, project_id):
        """The project's feedback, newest first, with the average rating of all of it;
        beneficiaries' names only for the community's staff."""
        project = project_queries.get_project(require_actor(), project_id)
        of_project = Feedback.project_id == project.id
        query = sa.select(Feedback).where(of_project).order_by(Feedback.id.desc())
        page = paginate(query, args["page"], args["per_page"])
        average = db.session.scalar(sa.select(sa.func.avg(Feedback.rating)).where(of_project))
        return {**page, "average": None if average is None else round(float(average), 2)}
