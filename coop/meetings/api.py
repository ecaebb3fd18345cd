"""联盟大会 and 联席会议, their attendance, minutes and 决议; the 推选 of the term's deputy."""

from flask.views import MethodView

from coop.alliance import queries as alliance_queries
from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.errors import NotFound
from coop.meetings import queries, service
from coop.meetings.schemas import (
    AttendanceIn,
    AttendanceOut,
    CertifyIn,
    CheckinIn,
    ElectionAgreementIn,
    ElectionIn,
    ElectionOut,
    MeetingArgs,
    MeetingCancelIn,
    MeetingDetailOut,
    MeetingIn,
    MeetingOut,
    MinutesIn,
    ResolutionIn,
    ResolutionOut,
    RotationOut,
    ToPlanItemIn,
    ToProjectIn,
    VoteIn,
)
from coop.pagination import paginate
from coop.projects.schemas import ProjectOut
from coop.terms import queries as terms_queries
from coop.timeutil import local_today
from coop.uow import unit_of_work

blp = signed_in_blueprint("meetings_api", __name__, "联盟大会 · meetings, minutes and 推选")


@blp.route("/communities/<int:community_id>/meetings")
class Meetings(MethodView):
    @blp.arguments(MeetingArgs, location="query")
    @blp.response(200, page_schema(MeetingOut))
    @documents_errors(blp, 401, 404, 422)
    def get(self, args, community_id):
        """The community's meetings, the latest first; ``kind`` filters assembly / joint."""
        community = alliance_queries.get_community(require_actor(), community_id)
        return paginate(
            queries.meetings_select(community.id, kind=args["kind"]), args["page"], args["per_page"]
        )

    @blp.arguments(MeetingIn)
    @blp.response(201, MeetingDetailOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, community_id):
        """Schedule a 联盟大会 or 联席会议 (secretary). Every member unit is invited and its
        liaison told. 422 meeting_in_past for a time already past; 409 assembly_exists for a
        second 联盟大会 in a half year (one a half year; cancel it to move it)."""
        actor = require_actor()
        with unit_of_work(actor):
            meeting = service.schedule_meeting(actor, community_id, now=utcnow(), **fields)
        return meeting


@blp.route("/meetings/<int:meeting_id>")
class MeetingDetail(MethodView):
    @blp.response(200, MeetingDetailOut)
    @documents_errors(blp, 401, 404)
    def get(self, meeting_id):
        """The meeting with each invited unit's attendance and its 决议."""
        return queries.get_meeting(require_actor(), meeting_id)


@blp.route("/meetings/<int:meeting_id>/cancel")
class MeetingCancel(MethodView):
    @blp.arguments(MeetingCancelIn)
    @blp.response(200, MeetingOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, meeting_id):
        """Call off a meeting not yet held (secretary); the liaisons are told."""
        actor = require_actor()
        with unit_of_work(actor):
            meeting = service.cancel_meeting(actor, meeting_id, now=utcnow(), **fields)
        return meeting


@blp.route("/meetings/<int:meeting_id>/checkin")
class MeetingCheckin(MethodView):
    @blp.arguments(CheckinIn)
    @blp.response(201, AttendanceOut)
    @documents_errors(blp, 401, 404, 409, 422)
    def post(self, fields, meeting_id):
        """A liaison signs in for her invited unit with the code in the QR (from an hour before
        the start to the end of the day). 422 wrong_code; 409 meeting_not_started,
        checkin_closed, no_liaison_unit, already_present."""
        actor = require_actor()
        with unit_of_work(actor):
            attendance = service.check_in(actor, meeting_id, now=utcnow(), **fields)
        return attendance


@blp.route("/meetings/<int:meeting_id>/attendance")
class MeetingAttendance(MethodView):
    @blp.arguments(AttendanceIn)
    @blp.response(200, AttendanceOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, meeting_id):
        """The secretary ticks (``present`` true) or unticks an invited unit. 422 not_invited."""
        actor = require_actor()
        with unit_of_work(actor):
            attendance = service.mark_attendance(actor, meeting_id, now=utcnow(), **fields)
        return attendance


@blp.route("/meetings/<int:meeting_id>/minutes")
class MeetingMinutes(MethodView):
    @blp.arguments(MinutesIn)
    @blp.response(200, MeetingDetailOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def put(self, fields, meeting_id):
        """Write or rewrite the minutes once the meeting has started (secretary)."""
        actor = require_actor()
        with unit_of_work(actor):
            meeting = service.record_minutes(actor, meeting_id, now=utcnow(), **fields)
        return meeting


@blp.route("/meetings/<int:meeting_id>/resolutions")
class MeetingResolutions(MethodView):
    @blp.arguments(ResolutionIn)
    @blp.response(201, ResolutionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, meeting_id):
        """Record a 决议 with its owner unit and due date (secretary). 422 not_a_member."""
        actor = require_actor()
        with unit_of_work(actor):
            resolution = service.add_resolution(actor, meeting_id, now=utcnow(), **fields)
        return resolution


@blp.route("/resolutions/<int:resolution_id>/project")
class ResolutionProject(MethodView):
    @blp.arguments(ToProjectIn)
    @blp.response(201, ProjectOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, resolution_id):
        """Turn the 决议 into a draft routine project (secretary), once. 409
        resolution_already_linked."""
        actor = require_actor()
        with unit_of_work(actor):
            project = service.resolution_to_project(actor, resolution_id, now=utcnow(), **fields)
        return project


@blp.route("/resolutions/<int:resolution_id>/plan-item")
class ResolutionPlanItem(MethodView):
    @blp.arguments(ToPlanItemIn)
    @blp.response(200, ResolutionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, resolution_id):
        """Count the 决议 under one of its term's 六个一 items (secretary), once."""
        actor = require_actor()
        with unit_of_work(actor):
            resolution = service.resolution_to_plan_item(actor, resolution_id, **fields)
        return resolution


@blp.route("/terms/<int:term_id>/deputy-choice")
class TermElection(MethodView):
    @blp.response(200, ElectionOut)
    @documents_errors(blp, 401, 404)
    def get(self, term_id):
        """The term's 推选: candidates with their votes, the votes, and the certified result.
        404 when none was started."""
        term = terms_queries.get_term(require_actor(), term_id)
        election = queries.election_of(term.id)
        if election is None:
            raise NotFound()
        return election

    @blp.arguments(ElectionIn)
    @blp.response(201, ElectionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, term_id):
        """Start the term's 推选 with its candidates (secretary), ``vote`` or ``consensus``.
        409 election_exists; 422 no_live_agreement, consensus_one_candidate."""
        actor = require_actor()
        with unit_of_work(actor):
            election = service.start_election(actor, term_id, today=local_today(), **fields)
        return election


@blp.route("/terms/<int:term_id>/rotation")
class TermRotation(MethodView):
    @blp.response(200, RotationOut(many=True))
    @documents_errors(blp, 401, 404)
    def get(self, term_id):
        """Every member unit with the terms it led as 轮值副书记; those never chosen first."""
        term = terms_queries.get_term(require_actor(), term_id)
        community_id = terms_queries.community_id_of(term)
        return queries.rotation(term.alliance_id, terms_queries.member_units(community_id))


@blp.route("/deputy-choices/<int:election_id>/votes")
class ElectionVotes(MethodView):
    @blp.arguments(ElectionAgreementIn)
    @blp.response(201, ElectionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def put(self, fields, election_id):
        """协商一致: record the member units that agreed (secretary). 409 already_voted,
        wrong_method; 422 not_a_voter."""
        actor = require_actor()
        with unit_of_work(actor):
            service.record_agreement(actor, election_id, now=utcnow(), **fields)
        return queries.get_election(actor, election_id)

    @blp.arguments(VoteIn)
    @blp.response(201, ElectionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, election_id):
        """Record one member unit's vote (secretary). 409 already_voted, wrong_method;
        422 not_a_voter, not_a_candidate."""
        actor = require_actor()
        with unit_of_work(actor):
            service.record_vote(actor, election_id, now=utcnow(), **fields)
        return queries.get_election(actor, election_id)


@blp.route("/deputy-choices/<int:election_id>/certify")
class ElectionCertify(MethodView):
    @blp.arguments(CertifyIn)
    @blp.response(200, ElectionOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, election_id):
        """Certify the result (secretary): the leading candidate becomes the term's 轮值副书记.
        409 no_votes, tied_vote, election_certified, deputy_locked."""
        actor = require_actor()
        with unit_of_work(actor):
            service.certify_election(actor, election_id, now=utcnow(), **fields)
        return queries.get_election(actor, election_id)
