"""Verified hours as one row per volunteer and record, with the fields the Ministry of Civil
Affairs' 《志愿服务记录与证明出具办法（试行）》 (2021) names, for staff to map onto the national
volunteer service system's batch template. The columns are documented in docs/hours-export.md;
this is not the official template (we have none)."""

from datetime import date, timedelta

import marshmallow as ma
from flask_babel import gettext as _

from coop import xlsx
from coop.errors import Invalid
from coop.hours import queries
from coop.hours.models import RecordOrigin, ServiceRecord
from coop.privacy import mask_phone
from coop.schemas import Date

# Keep in step with docs/hours-export.md.
HEADERS = (
    ("姓名", 10),
    ("证件类型", 10),
    ("证件号码", 20),
    ("联系电话", 14),
    ("志愿者编号", 14),
    ("服务日期", 12),
    ("服务项目（活动）", 28),
    ("服务内容", 36),
    ("服务时长（小时）", 12),
    ("记录方式", 10),
    ("是否补录", 8),
    ("出具单位", 18),
    ("记录编号", 10),
)
MAX_DAYS = 366


# The query string's names (?from=&to=); "from" is a keyword, hence from_dict.
HoursExportArgs = ma.Schema.from_dict(
    {"from": Date(load_default=None), "to": Date(load_default=None)}, name="HoursExportArgs"
)


def check_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The range asked for, by default this month up to today. Errors by field (``from`` /
    ``to``): the end before the start, more than a year, or a day still to come."""
    end = end or today
    start = start or end.replace(day=1)
    errors: dict[str, list[str]] = {}
    if end > today:
        errors["to"] = [_("结束日期不能晚于今天。")]
    if start > today:
        errors["from"] = [_("开始日期不能晚于今天。")]
    if start > end:
        errors.setdefault("from", []).append(_("开始日期不能晚于结束日期。"))
    elif end - start > timedelta(days=MAX_DAYS - 1):
        errors.setdefault("from", []).append(
            _("一次最多导出 %(days)d 天的记录，请缩小日期范围。", days=MAX_DAYS)
        )
    if errors:
        raise Invalid(errors=errors)
    return start, end


def row(record: ServiceRecord, issuer: str) -> list:
    volunteer, activity = record.volunteer, record.activity
    content = record.note or (activity.description if activity else "")
    return [
        volunteer.display_name,
        "",  # 证件类型: Coop keeps no identity document
        "",  # 证件号码: likewise; masked with coop.privacy.mask_id_number once one is kept
        mask_phone(volunteer.phone),
        "",  # 志愿者编号: issued by the national system; Coop keeps none
        record.service_date,
        activity.title if activity else "",
        content,
        record.hours,
        record.origin.label,
        "是" if record.origin is RecordOrigin.ENTERED else "否",
        issuer,
        str(record.id),
    ]


def rows(community, start: date, end: date):
    for record in xlsx.streamed(queries.verified_records_select(community.id, start, end)):
        yield row(record, community.name)
