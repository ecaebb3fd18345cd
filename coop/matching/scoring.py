"""The matching rule, in memory: scores and the reasons people read. No database here.

A candidate's score is a sum of small terms, each with the phrase that explains it:

- category fit: a unit's listed resources in the target's category (+2 each, at most 3) and
  the claims it fulfilled in that category here (+2 each, at most 3); a resource of that
  category (+4) or of no category (+1); a volunteer's skills that fit it (+3 each, at most 2);
- neighbourhood: serving the target's 邻里单元 (+4; a resource +2), the whole community (+1),
  or only other 邻里单元 (-2; a resource -1);
- availability: a resource whose window covers the project (+3, a unit with one +2) or only
  part of it (+1);
- load: every approved, undelivered claim (-2; a resource's unit -1), so that work spreads
  across the alliance;
- a volunteer who is a party member +1.

A unit is suggested only with some fit (category or a served 邻里单元); ties go to the lower id,
so the same facts always give the same ranking.
"""

import bisect
import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from coop.categories import Category

TOP = 5  # suggestions per candidate type and target

# Skill words (as volunteers write them) that fit each category; a skill fits when it
# contains one of the words.
SKILL_WORDS: dict[Category, tuple[str, ...]] = {
    Category.RED_EDUCATION: (
        "党史",
        "讲解",
        "书法",
        "绘画",
        "美术",
        "文艺",
        "演出",
        "朗诵",
        "摄影",
        "故事",
    ),
    Category.POLICY: ("宣讲", "政策", "法律", "普法", "讲解", "社保", "医保", "反诈"),
    Category.CARE: ("护理", "医疗", "心理", "陪护", "助老", "康复", "理发", "烹饪", "家政", "辅导"),
    Category.GOVERNANCE: (
        "调解",
        "法律",
        "安全",
        "消防",
        "巡逻",
        "环保",
        "垃圾分类",
        "网格",
        "心理",
    ),
    Category.CONVENIENCE: (
        "维修",
        "家电",
        "理发",
        "电脑",
        "手机",
        "烹饪",
        "修鞋",
        "裁缝",
        "家政",
        "开锁",
    ),
}


def skill_categories(skill: str) -> frozenset[Category]:
    return frozenset(c for c, words in SKILL_WORDS.items() if any(w in skill for w in words))


@dataclass(frozen=True)
class ResourceFacts:
    id: int
    unit_id: int
    kind_label: str
    category: Category | None
    available_from: date | None
    available_until: date | None
    neighbourhoods: frozenset[int] = frozenset()  # none: the whole community
    kind: str | None = None  # ResourceKind; what the kind-compatibility rule reads
    words: tuple[str, ...] = ()  # its title's and description's words (content.tokens)


@dataclass
class UnitFacts:
    id: int
    serves: frozenset[int]  # none: the whole community
    open_claims: int = 0
    fulfilled: Counter = field(default_factory=Counter)  # category → fulfilled claims
    resources: list[ResourceFacts] = field(default_factory=list)
    words: tuple[str, ...] = ()  # its profile's and listed resources' words


@dataclass
class VolunteerFacts:
    """What a volunteer's score reads: volunteers with the same skills and party membership and
    no claims here share one (and one score per category)."""

    fits: dict  # category → the skills that fit it
    party: bool = False
    open_claims: int = 0
    fulfilled: Counter = field(default_factory=Counter)
    words: tuple[str, ...] = ()  # her skills' words


@dataclass(frozen=True)
class Window:
    """The dates a target needs: a project's days, or today for a need."""

    first: date
    last: date
    is_now: bool = False


@dataclass
class Context:
    """What every phrase needs: the community's 邻里单元 names."""

    neighbourhood_names: dict[int, str]
    cache: dict = field(default_factory=dict)

    def names(self, ids) -> str:
        return "、".join(self.neighbourhood_names.get(i, "") for i in sorted(ids))


def _months(window: Window) -> str:
    if window.first.month == window.last.month and window.first.year == window.last.year:
        return _("%(m)d月", m=window.first.month)
    return _("%(a)d月至%(b)d月", a=window.first.month, b=window.last.month)


def covers(resource: ResourceFacts, window: Window) -> bool:
    return (resource.available_from is None or resource.available_from <= window.first) and (
        resource.available_until is None or resource.available_until >= window.last
    )


def overlaps(resource: ResourceFacts, window: Window) -> bool:
    return (resource.available_from is None or resource.available_from <= window.last) and (
        resource.available_until is None or resource.available_until >= window.first
    )


# Scoring notes its reasons as tokens (tuples); only the chosen few become phrases, each once.
def phrase(token: tuple, ctx: Context) -> str:
    """The words people read for one reason token (the caller forces the Chinese locale)."""
    if token in ctx.cache:
        return ctx.cache[token]
    what, *args = token
    if what == "serves":
        text = _("服务%(names)s", names=ctx.names(args[0]))
    elif what == "whole":
        text = _("服务全社区")
    elif what == "not_serves":
        text = _("不服务%(names)s", names=ctx.names(args[0]))
    elif what == "available":
        kind, window, partly = args
        if window.is_now:
            text = _("现可提供%(kind)s", kind=kind)
        elif partly:
            text = _("%(months)s部分时间可提供%(kind)s", months=_months(window), kind=kind)
        else:
            text = _("%(months)s可提供%(kind)s", months=_months(window), kind=kind)
    elif what == "resources":
        text = _("有%(n)d项%(category)s资源", n=args[0], category=args[1].label)
    elif what == "fulfilled":
        text = _("曾完成%(n)d个%(category)s项目", n=args[0], category=args[1].label)
    elif what == "load":
        text = _("已有%(n)d个进行中的认领", n=args[0]) if args[0] else _("暂无进行中的认领")
    elif what == "unit_load":
        text = _("所属单位已有%(n)d个进行中的认领", n=args[0])
    elif what == "category":
        text = _("%(category)s类资源", category=args[0].label)
    elif what == "any_category":
        text = _("不限类别的资源")
    elif what == "skills":
        text = _("擅长%(skills)s", skills="、".join(args[0]))
    elif what == "party":
        text = _("党员")
    else:  # pragma: no cover - a token without words is a programming error
        raise ValueError(token)
    ctx.cache[token] = text
    return text


def _neighbourhood(serves, wanted, *, match: int, miss: int):
    """(points, token) for serving the ``wanted`` 邻里单元 (none known: nothing to say)."""
    if not wanted:
        return 0, None
    if not serves:
        return 1, ("whole",)
    common = serves & wanted
    if common:
        return match, ("serves", common)
    return miss, ("not_serves", wanted)


def score_unit(unit: UnitFacts, category: Category, wanted: frozenset, window: Window):
    """(score, reason tokens) or None when nothing about the unit fits the target."""
    score, reasons = 0, []
    points, token = _neighbourhood(unit.serves, wanted, match=4, miss=-2)
    specific = points == 4
    score += points
    if token:
        reasons.append(token)
    in_category = 0
    usable = None
    for resource in unit.resources:
        if resource.category is category:
            in_category += 1
        if usable is None and resource.category in (category, None) and covers(resource, window):
            usable = resource
    if usable is not None:
        score += 2
        reasons.append(("available", usable.kind_label, window, False))
    if in_category:
        score += 2 * min(in_category, 3)
        reasons.append(("resources", in_category, category))
    done = unit.fulfilled.get(category, 0)
    if done:
        score += 2 * min(done, 3)
        reasons.append(("fulfilled", done, category))
    if not (in_category or done or specific):
        return None
    score -= 2 * unit.open_claims
    reasons.append(("load", unit.open_claims))
    return score, reasons


def score_resource(
    resource: ResourceFacts, unit_load: int, category: Category, wanted: frozenset, window
):
    """(score, reason tokens) or None when its category or window does not fit."""
    if resource.category not in (category, None) or not overlaps(resource, window):
        return None
    full = covers(resource, window)
    if window.is_now and not full:
        return None
    score = 3 if full else 1
    reasons = [("available", resource.kind_label, window, not full)]
    points, token = _neighbourhood(resource.neighbourhoods, wanted, match=2, miss=-1)
    score += points
    if token:
        reasons.insert(0, token)
    if resource.category is category:
        score += 4
        reasons.append(("category", category))
    else:
        score += 1
        reasons.append(("any_category",))
    score -= unit_load
    if unit_load:
        reasons.append(("unit_load", unit_load))
    return score, reasons


def score_volunteer(volunteer: VolunteerFacts, category: Category):
    """(score, reason tokens) or None when none of her skills fits the category."""
    skills = volunteer.fits.get(category)
    if not skills:
        return None
    score = 3 * min(len(skills), 2)
    reasons = [("skills", tuple(skills))]
    if volunteer.party:
        score += 1
        reasons.append(("party",))
    done = volunteer.fulfilled.get(category, 0)
    if done:
        score += 2 * min(done, 3)
        reasons.append(("fulfilled", done, category))
    score -= 2 * volunteer.open_claims
    reasons.append(("load", volunteer.open_claims))
    return score, reasons


# The most a resource's window (+3) and 邻里单元 (+2) add to its static part (category, load).
RESOURCE_DYNAMIC_MAX = 5


def resource_static(resource: ResourceFacts, unit_load: int, category: Category) -> int:
    return (4 if resource.category is category else 1) - unit_load


def top_resources(ordered, unit_load, category, wanted, window, limit: int):
    """Like ranked() over score_resource, reading ``ordered`` ((static, resource) best static
    first) only while a resource could still make the top ``limit``."""
    best: list[tuple] = []
    for static, resource in ordered:
        if len(best) == limit and static + RESOURCE_DYNAMIC_MAX < -best[-1][0]:
            break
        scored = score_resource(resource, unit_load[resource.unit_id], category, wanted, window)
        if scored is None:
            continue
        bisect.insort(best, (-scored[0], resource.id, scored[1]))
        del best[limit:]
    return [(-neg, rid, tokens) for neg, rid, tokens in best]


def ranked(scored, *, limit: int | None = None) -> list[tuple[float, int, list[str]]]:
    """(score, id, reason tokens) best first; ties go to the lower id. ``scored`` yields
    (id, (score, tokens) or None)."""
    rows = ((s[0], cid, s[1]) for cid, s in scored if s is not None)
    key = lambda row: (-row[0], row[1])  # noqa: E731
    if limit is None:
        return sorted(rows, key=key)
    return heapq.nsmallest(limit, rows, key=key)


def pick(ranking, skip, top: int = TOP):
    """The first ``top`` of a ranking whose candidate id is not in ``skip``."""
    chosen = []
    for row in ranking:
        if row[1] in skip:
            continue
        chosen.append(row)
        if len(chosen) == top:
            break
    return chosen


# --- A need's own ranking: hard limits rule out, content counts ---------------------------------
#
# For a need (not a project) the terms above still count, except that a 邻里单元 the candidate
# does not serve rules it out instead of lowering its score; so do a resource not available now
# and a resource of a kind the need cannot use (content.usable_kinds: a venue cannot repair a
# light). What the need says adds up to CONTENT_POINTS: BM25 of its words against the
# candidate's, relative to the best match among the community's candidates. A resource of
# another category is suggested only when its text matches.

CONTENT_POINTS = 10.0


def _serves(serves: frozenset, wanted: frozenset) -> bool:
    return not wanted or not serves or bool(serves & wanted)


def need_resource(resource, unit_load: int, unit_serves, category, wanted, window, kinds, found):
    """(score, reason tokens, matched words) or None when a hard limit rules it out: a kind
    the need cannot use, not available in ``window``, or a 邻里单元 it does not serve.
    ``found``: (relative BM25, matched words) when its text matches the need's, else None.
    ``unit_serves``: its unit's 邻里单元, read when the resource names none of its own."""
    if resource.kind not in kinds or not covers(resource, window):
        return None
    serves = resource.neighbourhoods or unit_serves
    if not _serves(serves, wanted):
        return None
    relative, words = found or (0.0, ())
    if resource.category is category:
        score, reason = 4.0, ("category", category)
    elif resource.category is None:
        score, reason = 1.0, ("any_category",)
    elif relative > 0:
        score, reason = 0.0, None
    else:
        return None
    reasons = []
    points, token = _neighbourhood(serves, wanted, match=2, miss=0)
    score += points + 3
    if token:
        reasons.append(token)
    reasons.append(("available", resource.kind_label, window, False))
    if reason:
        reasons.append(reason)
    score += CONTENT_POINTS * relative
    score -= unit_load
    if unit_load:
        reasons.append(("unit_load", unit_load))
    return round(score, 2), reasons, words


def top_need_resources(ordered, score, limit: int):
    """The best ``limit`` (score, id, tokens, words) of need_resource without content, reading
    ``ordered`` ((static, resource), best static first) only while one could still make it:
    what every need of one category, 邻里单元 and set of usable kinds shares, and the pool
    that content re-ranks. ``score(resource)`` scores one."""
    best: list[tuple] = []
    for static, resource in ordered:
        if len(best) == limit and static + RESOURCE_DYNAMIC_MAX < -best[-1][0]:
            break
        scored = score(resource)
        if scored is None:
            continue
        bisect.insort(best, (-scored[0], resource.id, scored[1], scored[2]))
        del best[limit:]
    return [(-neg, rid, tokens, words) for neg, rid, tokens, words in best]


def need_unit(unit: UnitFacts, category, wanted, window: Window, found):
    """(score, reason tokens, matched words) or None: a unit serving only other 邻里单元, or
    with neither a fit nor a text match."""
    if not _serves(unit.serves, wanted):
        return None
    relative, words = found or (0.0, ())
    scored = score_unit(unit, category, wanted, window)
    if scored is None:
        if relative <= 0:
            return None
        score = -2 * unit.open_claims + (1 if not unit.serves and wanted else 0)
        reasons = [("whole",)] if not unit.serves and wanted else []
        reasons.append(("load", unit.open_claims))
    else:
        score, reasons = scored
    return round(score + CONTENT_POINTS * relative, 2), reasons, words


def need_volunteer(volunteer: VolunteerFacts, category, found):
    """(score, reason tokens, matched words) or None: neither a skill of the category nor a
    text match."""
    relative, words = found or (0.0, ())
    scored = score_volunteer(volunteer, category)
    if scored is None:
        if relative <= 0:
            return None
        score = (1 if volunteer.party else 0) - 2 * volunteer.open_claims
        reasons = [("party",)] if volunteer.party else []
        reasons.append(("load", volunteer.open_claims))
    else:
        score, reasons = scored
    return round(score + CONTENT_POINTS * relative, 2), reasons, words
