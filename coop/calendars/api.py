from flask import Response
from flask.views import MethodView

from coop.apidoc import documents_errors, signed_in_blueprint
from coop.auth.current import require_actor
from coop.calendars import service
from coop.calendars.responses import activity_ics, feed_urls
from coop.calendars.schemas import CalendarTokenOut
from coop.dbtypes import utcnow
from coop.uow import unit_of_work

blp = signed_in_blueprint(
    "calendars_api", __name__, "日历 · the personal calendar feed and an activity's .ics"
)

_ICS_DOC = {
    "description": "An iCalendar (RFC 5545) document: METHOD:PUBLISH, one VEVENT",
    "content": {"text/calendar": {"schema": {"type": "string"}}},
}


def _token_out(token, raw: str | None) -> dict:
    url, webcal = feed_urls(raw) if raw else (None, None)
    return {
        "url": url,
        "webcal_url": webcal,
        "shown": raw is not None,
        "created_at": token.created_at,
    }


@blp.route("/me/calendar-token")
class CalendarTokenApi(MethodView):
    @blp.response(200, CalendarTokenOut)
    @documents_errors(blp, 401, 403)
    def get(self):
        """Her calendar feed (volunteers). The first call makes it and carries its URL; later
        calls only say that it exists (only a hash is kept): POST makes a new URL."""
        actor = require_actor()
        with unit_of_work(actor):
            token, raw = service.first_feed_token(actor, now=utcnow())
        return _token_out(token, raw)

    @blp.response(201, CalendarTokenOut)
    @documents_errors(blp, 401, 403)
    def post(self):
        """A new URL for her feed; the old one stops working at once."""
        actor = require_actor()
        with unit_of_work(actor):
            raw = service.issue_feed_token(actor, now=utcnow())
            token = service.live_token(actor.id)
        return _token_out(token, raw)

    @blp.response(204)
    @documents_errors(blp, 401, 403)
    def delete(self):
        """Stop her feed's URL working (calendars that subscribed get 404 from then on). 204
        whether or not she had one."""
        actor = require_actor()
        with unit_of_work(actor):
            service.revoke_feed_token(actor, now=utcnow())
        return Response(status=204)


@blp.route("/activities/<int:activity_id>.ics")
class ActivityIcs(MethodView):
    @blp.response(200, content_type="text/calendar", description=_ICS_DOC["description"])
    @blp.doc(responses={"200": _ICS_DOC})
    @documents_errors(blp, 401, 404)
    def get(self, activity_id):
        """The activity as an .ics file to add to a calendar (whoever may see the activity);
        a cancelled one carries STATUS:CANCELLED."""
        return activity_ics(require_actor(), activity_id)
