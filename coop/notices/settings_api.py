from flask.views import MethodView

from coop.apidoc import Blueprint, documents_errors
from coop.auth.current import require_actor
from coop.notices import settings
from coop.notices.schemas import NoticeSettingsIn, NoticeSettingsOut
from coop.uow import unit_of_work

blp = Blueprint(
    "notice_settings_api", __name__, url_prefix="/api/v1", description="Notice channels"
)


def _out(actor) -> dict:
    saved = settings.settings_of(actor.id)
    return {
        "channels": saved.channel_list,
        "offered": settings.offered_channels(actor),
        "quiet_hours": saved.quiet_from is not None,
        "quiet_from": saved.quiet_from,
        "quiet_until": saved.quiet_until,
        "email": actor.email,
        "wechat_bound": bool(actor.wechat_openid),
    }


@blp.route("/me/notice-settings")
class MyNoticeSettings(MethodView):
    @blp.response(200, NoticeSettingsOut)
    @documents_errors(blp, 401)
    def get(self):
        """Her channels besides the inbox (of those ``offered``, each saying whether she has an
        address for it), her quiet hours (community time) and her e-mail address."""
        return _out(require_actor())

    @blp.arguments(NoticeSettingsIn)
    @blp.response(200, NoticeSettingsOut)
    @documents_errors(blp, 400, 401, 422)
    def put(self, fields):
        """Replace her settings: ``channels`` (names from ``offered``), ``quiet_hours`` with
        ``quiet_from``/``quiet_until`` (HH:MM; 21:00–08:00 when left out), ``email`` (left out
        or null: none). 422 for a channel not offered or one she has no address for."""
        actor = require_actor()
        with unit_of_work(actor):
            settings.update_settings(
                actor,
                channels_chosen=fields["channels"],
                quiet_hours=fields["quiet_hours"],
                quiet_from=fields["quiet_from"],
                quiet_until=fields["quiet_until"],
                email=fields["email"],
            )
        return _out(actor)
