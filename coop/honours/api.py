"""Honours: nominations (同心共建先锋, 最美志愿服务队), the street's decisions, the 先锋指数."""

from flask.views import MethodView

from coop.alliance import queries as alliance_queries
from coop.apidoc import PageArgs, documents_errors, page_schema, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.honours import index, permissions, queries, service, teams
from coop.honours.schemas import (
    HonourArgs,
    HonourReasonIn,
    IndexArgs,
    MemberIn,
    MemberOut,
    NominationIn,
    NominationOut,
    PioneerIndexOut,
    TeamArgs,
    TeamEditIn,
    TeamIn,
    TeamOut,
    WeightsIn,
    WeightsOut,
)
from coop.pagination import paginate
from coop.timeutil import local_today
from coop.uow import unit_of_work

blp = signed_in_blueprint("honours_api", __name__, "Honours · nominations and the 先锋指数")


def _out(honour):
    honour.holder_name = service.holder_name(honour)
    return honour


@blp.route("/nominations")
class Nominations(MethodView):
    @blp.arguments(HonourArgs, location="query")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(NominationOut))
    @documents_errors(blp, 401, 404, 422)
    def get(self, args, paging):
        """A community's nominations and honours, newest year first; filter by year, status
        (nominated, returned, approved, revoked) and kind."""
        community = alliance_queries.get_community(require_actor(), args.pop("community_id"))
        page = paginate(queries.honours_select(community.id, **args), **paging)
        page["items"] = [_out(h) for h in page["items"]]
        return page

    @blp.arguments(NominationIn)
    @blp.response(201, NominationOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields):
        """The secretary nominates a member unit (kind pioneer) or a team of the community (kind
        team) for this year or last; the record is computed and kept. 409 already_honoured;
        422 not_a_member, team_not_here, year_not_open."""
        actor = require_actor()
        with unit_of_work(actor):
            honour = service.nominate(actor, fields.pop("community_id"), **fields, now=utcnow())
        return _out(honour)


@blp.route("/nominations/<int:honour_id>")
class Nomination(MethodView):
    @blp.response(200, NominationOut)
    @documents_errors(blp, 401, 404)
    def get(self, honour_id):
        """One nomination with its kept record."""
        return _out(queries.get_honour(require_actor(), honour_id))


@blp.route("/nominations/<int:honour_id>/approve")
class Approve(MethodView):
    @blp.response(200, NominationOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, honour_id):
        """The street approves; 403 own_nomination for the one who nominated; 409 wrong_state."""
        actor = require_actor()
        with unit_of_work(actor):
            honour = service.approve(actor, honour_id, now=utcnow())
        return _out(honour)


@blp.route("/nominations/<int:honour_id>/return")
class Return(MethodView):
    @blp.arguments(HonourReasonIn)
    @blp.response(200, NominationOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, honour_id):
        """The street sends it back with a reason; the community may nominate again."""
        actor = require_actor()
        with unit_of_work(actor):
            honour = service.send_back(actor, honour_id, reason=fields["reason"], now=utcnow())
        return _out(honour)


@blp.route("/nominations/<int:honour_id>/revoke")
class Revoke(MethodView):
    @blp.arguments(HonourReasonIn)
    @blp.response(200, NominationOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, honour_id):
        """The street revokes an approved honour with a reason; it is kept, never deleted."""
        actor = require_actor()
        with unit_of_work(actor):
            honour = service.revoke(actor, honour_id, reason=fields["reason"], now=utcnow())
        return _out(honour)


@blp.route("/communities/<int:community_id>/pioneer-index")
class PioneerIndex(MethodView):
    @blp.arguments(IndexArgs, location="query")
    @blp.response(200, PioneerIndexOut)
    @documents_errors(blp, 401, 403, 404)
    def get(self, args, community_id):
        """Every member unit's 先锋指数 for the year (default this year), best first, with each
        part's figure, weight and score. It informs nominations; it awards nothing."""
        actor = require_actor()
        community = alliance_queries.get_community(actor, community_id)
        permissions.require(permissions.can_view_honours(actor, community))
        year = args.get("year") or local_today().year
        return {
            "year": year,
            "weights": index.weights_for(community.id),
            "units": index.unit_records(community.id, year, utcnow()),
        }


@blp.route("/communities/<int:community_id>/pioneer-weights")
class PioneerWeights(MethodView):
    @blp.response(200, WeightsOut)
    @documents_errors(blp, 401, 404)
    def get(self, community_id):
        """The community's 先锋指数 weights (the defaults until the secretary sets them)."""
        community = alliance_queries.get_community(require_actor(), community_id)
        return index.weights_for(community.id)

    @blp.arguments(WeightsIn)
    @blp.response(200, WeightsOut)
    @documents_errors(blp, 401, 403, 404, 422)
    def put(self, fields, community_id):
        """The secretary sets the weights: whole numbers 0–100 summing to 100 (422 bad_weights)."""
        actor = require_actor()
        with unit_of_work(actor):
            return service.set_weights(actor, community_id, fields, now=utcnow())


def _team_out(team):
    team.hours = index.team_hours(team.id)
    return team


@blp.route("/teams")
class Teams(MethodView):
    @blp.arguments(TeamArgs, location="query")
    @blp.response(200, TeamOut(many=True))
    @documents_errors(blp, 401, 404, 422)
    def get(self, args):
        """The community's volunteer teams with members (former ones with left_on) and hours."""
        community = alliance_queries.get_community(require_actor(), args["community_id"])
        return [_team_out(t) for t in queries.teams_of(community.id)]

    @blp.arguments(TeamIn)
    @blp.response(201, TeamOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields):
        """The community's staff create a team (409 team_name_taken)."""
        actor = require_actor()
        with unit_of_work(actor):
            team = teams.create_team(actor, fields.pop("community_id"), **fields)
        return _team_out(team)


@blp.route("/teams/<int:team_id>")
class TeamDetail(MethodView):
    @blp.response(200, TeamOut)
    @documents_errors(blp, 401, 404)
    def get(self, team_id):
        return _team_out(queries.get_team(require_actor(), team_id))

    @blp.arguments(TeamEditIn)
    @blp.response(200, TeamOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def put(self, fields, team_id):
        """Staff or the team's leader correct its name, description, skills and unit (no unit_id:
        the community's own team). 409 team_name_taken; 422 when the unit is not a member."""
        actor = require_actor()
        with unit_of_work(actor):
            team = teams.edit_team(actor, team_id, **fields)
        return _team_out(team)


@blp.route("/teams/<int:team_id>/members")
class TeamMembers(MethodView):
    @blp.arguments(MemberIn)
    @blp.response(201, MemberOut)
    @documents_errors(blp, 401, 403, 404, 409, 422)
    def post(self, fields, team_id):
        """Staff or the leader add a volunteer of the community; a volunteer joins herself
        (her own user_id). 409 already_member; 422 not_a_volunteer_here."""
        actor = require_actor()
        with unit_of_work(actor):
            return teams.add_member(
                actor, team_id, fields["user_id"], today=local_today(), leader=fields["leader"]
            )


@blp.route("/teams/<int:team_id>/members/<int:user_id>/leave")
class TeamLeave(MethodView):
    @blp.response(200, MemberOut)
    @documents_errors(blp, 401, 403, 404, 409)
    def post(self, team_id, user_id):
        """She leaves, or staff or the leader take her off; the row stays with left_on."""
        actor = require_actor()
        with unit_of_work(actor):
            return teams.leave(actor, team_id, user_id, today=local_today())
