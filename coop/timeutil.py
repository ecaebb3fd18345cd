from datetime import date, datetime
from zoneinfo import ZoneInfo

COMMUNITY_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today in the community's time zone, which is what agreements and terms count in."""
    return datetime.now(COMMUNITY_TZ).date()
