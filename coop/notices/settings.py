"""Her notice settings: which channels besides the inbox, her quiet hours, her e-mail address."""

from datetime import time

from flask_babel import gettext as _

from coop.auth.models import User
from coop.errors import Invalid
from coop.extensions import db
from coop.notices import channels
from coop.notices.models import NoticeSettings
from coop.notices.quiet import DEFAULT_FROM, DEFAULT_UNTIL


def settings_of(user_id: int) -> NoticeSettings:
    """Her settings; a person who never saved any gets the inbox only, quiet 21:00–08:00."""
    settings = db.session.get(NoticeSettings, user_id)
    if settings is None:
        settings = NoticeSettings(
            user_id=user_id, channels="", quiet_from=DEFAULT_FROM, quiet_until=DEFAULT_UNTIL
        )
    return settings


def offered_channels(person: User) -> list[dict]:
    """The channels this site offers, each with whether she has an address for it."""
    return [
        {
            "name": name,
            "label": str(channels.LABELS[name]),
            "available": bool(getattr(person, channel.address_field, None)),
            "missing": str(channels.NO_ADDRESS[name]),
        }
        for name, channel in channels.enabled().items()
    ]


def update_settings(
    actor: User,
    *,
    channels_chosen: list[str],
    quiet_hours: bool,
    quiet_from: time | None = None,
    quiet_until: time | None = None,
    email: str | None = None,
) -> NoticeSettings:
    """Save her own channels, quiet hours and e-mail address.

    :raise Invalid: a channel this site does not offer, one she has no address for (an e-mail
        address is given in the same request), or quiet hours that end when they start.
    """
    offered = channels.enabled()
    errors: dict[str, list[str]] = {}
    chosen = list(dict.fromkeys(channels_chosen))
    email = (email or "").strip() or None
    for name in chosen:
        if name not in offered:
            errors.setdefault("channels", []).append(_("本站未开通该渠道：%(name)s", name=name))
            continue
        field = offered[name].address_field
        address = email if field == "email" else getattr(actor, field, None)
        if not address:
            errors.setdefault("channels", []).append(
                _(
                    "%(channel)s：%(missing)s",
                    channel=channels.LABELS[name],
                    missing=channels.NO_ADDRESS[name],
                )
            )
    if quiet_hours:
        quiet_from = quiet_from or DEFAULT_FROM
        quiet_until = quiet_until or DEFAULT_UNTIL
        if quiet_from == quiet_until:
            errors["quiet_until"] = [_("免打扰的开始和结束时间不能相同。")]
    else:
        quiet_from = quiet_until = None
    if errors:
        raise Invalid(errors=errors)
    settings = db.session.get(NoticeSettings, actor.id)
    if settings is None:
        settings = NoticeSettings(user_id=actor.id)
        db.session.add(settings)
    settings.channels = ",".join(n for n in channels.ORDER if n in chosen)
    settings.quiet_from, settings.quiet_until = quiet_from, quiet_until
    if actor.email != email:
        actor.email = email
    db.session.flush()
    return settings
