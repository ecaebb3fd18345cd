from flask.views import MethodView

from coop.apidoc import documents_errors, page_schema, signed_in_blueprint
from coop.auditlog import queries
from coop.auditlog.schemas import AuditArgs, AuditEntryOut
from coop.auth.current import require_actor

blp = signed_in_blueprint("auditlog_api", __name__, "The record of changes (操作记录)")


@blp.route("/communities/<int:community_id>/audit")
class Audit(MethodView):
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditEntryOut))
    @documents_errors(blp, 401, 403, 404, 422)
    def get(self, args, community_id):
        """The community's record of changes, newest first, in words; personal data masked
        (secretary, street admin)."""
        community = queries.get_audited_community(require_actor(), community_id)
        page, per_page = args.pop("page"), args.pop("per_page")
        return queries.audit_page(community.id, page=page, per_page=per_page, **args)
