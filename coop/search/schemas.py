import marshmallow as ma
from marshmallow import fields

from coop.privacy import mask_phone
from coop.search.links import link
from coop.search.service import KINDS, SearchResult


class SearchArgs(ma.Schema):
    # Any length: too short or too long an answer carries a hint, never a 422.
    q = fields.String(load_default="", metadata={"description": "名称、标题或手机号后四位"})


class HitOut(ma.Schema):
    id = fields.Integer()
    title = fields.String(metadata={"description": "its title, or the person's name"})
    link = fields.String(metadata={"description": "the site path of its page"})
    community_id = fields.Integer(allow_none=True)
    status = fields.String(allow_none=True)


class PersonHitOut(HitOut):
    phone = fields.String(metadata={"description": "masked, as on screen: 138****1234"})
    roles = fields.List(fields.String())


class SearchOut(ma.Schema):
    query = fields.String(metadata={"description": "what was searched, spaces tidied"})
    hint = fields.String(allow_none=True, metadata={"description": "why nothing was searched"})
    by_phone = fields.Boolean(metadata={"description": "matched as the end of a phone number"})
    more = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        metadata={"description": "per kind: more matched than the 10 shown"},
    )
    needs = fields.List(fields.Nested(HitOut))
    projects = fields.List(fields.Nested(HitOut))
    activities = fields.List(fields.Nested(HitOut))
    units = fields.List(fields.Nested(HitOut))
    people = fields.List(fields.Nested(PersonHitOut))


def _hit(kind: str, item) -> dict:
    if kind == "people":
        return {
            "id": item.user.id,
            "title": item.user.display_name,
            "link": link(kind, item),
            "community_id": item.community_id,
            "status": None,
            "phone": mask_phone(item.user.phone),
            "roles": item.user.role_labels,
        }
    return {
        "id": item.id,
        "title": item.name if kind == "units" else item.title,
        "link": link(kind, item),
        "community_id": None if kind == "units" else item.community_id,
        "status": None if kind == "units" else item.status.value,
    }


def search_out(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "hint": result.hint,
        "by_phone": result.by_phone,
        "more": result.more,
        **{kind: [_hit(kind, item) for item in result.found[kind]] for kind in KINDS},
    }
