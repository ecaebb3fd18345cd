from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.dbtypes import utcnow
from coop.notices import inbox
from coop.notices.schemas import NoticeArgs, NoticeOut, NoticePage, ReadAllOut, UnreadOut
from coop.pagination import paginate
from coop.uow import unit_of_work

blp = signed_in_blueprint("notices_api", __name__, "我的消息 · notices")


@blp.route("/notices")
class Notices(MethodView):
    @blp.arguments(NoticeArgs, location="query")
    @blp.response(200, NoticePage)
    @documents_errors(blp, 401, 422)
    def get(self, args):
        """Her notices, newest first; ``unread=1`` for the unread ones only. ``unread`` in the
        envelope counts all her unread notices."""
        actor = require_actor()
        page = paginate(
            inbox.inbox_select(actor.id, unread_only=args["unread"]),
            args["page"],
            args["per_page"],
        )
        return {**page, "unread": inbox.unread_count(actor.id)}


@blp.route("/notices/unread-count")
class UnreadCount(MethodView):
    @blp.response(200, UnreadOut)
    @documents_errors(blp, 401)
    def get(self):
        """How many of her notices are unread (for a badge)."""
        return {"unread": inbox.unread_count(require_actor().id)}


@blp.route("/notices/<int:notice_id>/read")
class ReadOne(MethodView):
    @blp.response(200, NoticeOut)
    @documents_errors(blp, 401, 404)
    def post(self, notice_id):
        """Mark one of her notices read (again: no change). Another person's is a 404."""
        actor = require_actor()
        with unit_of_work(actor):
            notice = inbox.mark_read(actor.id, notice_id, now=utcnow())
        return notice


@blp.route("/notices/read-all")
class ReadAll(MethodView):
    @blp.response(200, ReadAllOut)
    @documents_errors(blp, 401)
    def post(self):
        """Mark all her notices read."""
        actor = require_actor()
        with unit_of_work(actor):
            marked = inbox.mark_all_read(actor.id, now=utcnow())
        return {"marked": marked, "unread": 0}
