from flask import request
from flask.views import MethodView

from coop.alliance import permissions
from coop.apidoc import Blueprint, documents_errors
from coop.auth import invitations, service
from coop.auth.current import current_token, require_actor
from coop.auth.schemas import InvitationIn, MeOut, PasswordChangeIn, TokenIn, TokenOut
from coop.dbtypes import utcnow
from coop.uow import unit_of_work

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Sign-in and tokens")


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @documents_errors(blp, 400, 401, 422, 429)
    def post(self, credentials):
        """Exchange a username and password for a bearer token."""
        with unit_of_work():
            user = service.authenticate(
                credentials["username"], credentials["password"], address=request.remote_addr or ""
            )
            raw, token = service.issue_token(user)
        return {"token": raw, "expires_at": token.expires_at}


@blp.route("/invitations/redeem")
class RedeemInvitation(MethodView):
    @blp.arguments(InvitationIn)
    @blp.response(201, TokenOut)
    @documents_errors(blp, 400, 422, 429)
    def post(self, fields):
        """A person added by staff sets her own password with her one-time invitation code and
        gets a bearer token. 422 when the code is wrong, used or expired, or the password will
        not do."""
        with unit_of_work():
            user = invitations.redeem_invitation(
                fields["code"],
                new_password=fields["new_password"],
                address=request.remote_addr or "",
                now=utcnow(),
            )
            raw, token = service.issue_token(user)
        return {"token": raw, "expires_at": token.expires_at}


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    @documents_errors(blp, 401)
    def delete(self):
        """Revoke the token this request carries."""
        actor = require_actor()
        with unit_of_work(actor):
            service.revoke_token(current_token())


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeIn)
    @blp.response(204)
    @documents_errors(blp, 400, 401, 422, 429)
    def post(self, fields):
        """Change her own password. Every API token of hers (this one too) and every browser
        session ends: sign in again with the new password. 422 when the current password is
        wrong or the new one will not do."""
        actor = require_actor()
        with unit_of_work(actor):
            service.change_password(actor, address=request.remote_addr or "", **fields)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeOut)
    @documents_errors(blp, 401)
    def get(self):
        """The signed-in user, her role grants and the communities and units in her scope."""
        actor = require_actor()
        volunteer = getattr(actor, "volunteer", None)
        return {
            "id": actor.id,
            "username": actor.username,
            "display_name": actor.display_name,
            "grants": actor.grants,
            "community_ids": sorted(permissions.visible_community_ids(actor)),
            "unit_ids": sorted(permissions.liaison_unit_ids(actor)),
            "volunteer": volunteer
            and {
                "home_community_id": volunteer.home_community_id,
                "work_unit_id": volunteer.work_unit_id,
                "is_party_member": volunteer.is_party_member,
                "skills": volunteer.skills,
                "teams": [m.team.name for m in actor.team_memberships],
            },
        }
