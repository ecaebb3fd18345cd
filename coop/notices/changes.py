"""What changed, in the words a notice says it: “时间：12月8日 09:00–11:00 → 12月9日 14:00–16:00”.

Senders collect one line per change and send nothing when there is none.
"""

from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _

from coop.timeutil import COMMUNITY_TZ


def moment_text(moment: datetime) -> str:
    """A moment in community time, the way people say it: 12月8日 09:00."""
    return format_datetime(moment, _("M月d日 HH:mm"))


def span_text(starts_at: datetime, ends_at: datetime) -> str:
    """12月8日 09:00–11:00 within a day; 12月8日 09:00 – 12月20日 17:00 across days."""
    if starts_at.astimezone(COMMUNITY_TZ).date() == ends_at.astimezone(COMMUNITY_TZ).date():
        return f"{moment_text(starts_at)}–{format_datetime(ends_at, 'HH:mm')}"
    return f"{moment_text(starts_at)} – {moment_text(ends_at)}"


def changed(what: str, old, new) -> str:
    """One line: 地点：党群服务中心 → 阳光苑食堂."""
    return _("%(what)s：%(old)s → %(new)s", what=what, old=old, new=new)


def body(lines: list[str]) -> str:
    return "；".join(lines)
