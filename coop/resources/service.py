"""The resource list's rules: a unit offers, the secretary lists or sends back."""

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.alliance import queries as alliance_queries
from coop.alliance.models import Membership, Neighbourhood, Unit
from coop.alliance.permissions import require
from coop.auth.models import User
from coop.errors import Invalid
from coop.extensions import db
from coop.resources import permissions, queries
from coop.resources.errors import ResourceNotEditable
from coop.resources.models import RESOURCE_FLOW, Resource, ResourceStatus
from coop.versioning import check_version, touch

# Before it is listed: waiting for the secretary, or sent back to the unit to change.
EDITABLE = (ResourceStatus.OFFERED, ResourceStatus.RETURNED)


def _neighbourhoods(community_id: int, ids: list[int]) -> list[Neighbourhood]:
    found = list(db.session.scalars(sa.select(Neighbourhood).where(Neighbourhood.id.in_(ids))))
    if len(found) != len(set(ids)) or any(n.community_id != community_id for n in found):
        raise Invalid(errors={"neighbourhood_ids": [_("请选择本社区的邻里单元。")]})
    return found


def _check_member(unit_id: int, community_id: int) -> None:
    member = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.unit_id == unit_id, Membership.community_id == community_id
        )
    )
    if member is None:
        raise Invalid(errors={"unit_id": [_("该单位不是本社区联盟成员。")]})


def _check_window(fields: dict) -> None:
    start, end = fields.get("available_from"), fields.get("available_until")
    if start and end and end < start:
        raise Invalid(errors={"available_until": [_("结束日期不能早于开始日期。")]})


def offer_resource(
    actor: User, community_id: int, unit_id: int, *, neighbourhood_ids: list[int] = (), **fields
) -> Resource:
    """A liaison declares what her unit offers this community; it waits for the secretary.

    :raise Forbidden: not the unit's liaison (nor the secretary).
    :raise Invalid: the unit is not in the alliance, or a neighbourhood is another community's.
    """
    community = alliance_queries.get_community(actor, community_id)
    require(permissions.can_offer_for(actor, unit_id, community))
    _check_member(unit_id, community.id)
    _check_window(fields)
    resource = Resource(
        community_id=community.id,
        unit_id=unit_id,
        created_by_id=actor.id,
        neighbourhoods=_neighbourhoods(community.id, list(neighbourhood_ids)),
        **fields,
    )
    db.session.add(resource)
    db.session.flush()
    return resource


def check_editable(resource: Resource) -> None:
    """:raise ResourceNotEditable: the offer is listed (withdraw it and offer it again) or
    withdrawn; only an offer waiting for review or sent back is corrected."""
    if resource.status is ResourceStatus.WITHDRAWN:
        raise ResourceNotEditable(_("已撤回的资源不能修改，请重新申报。"))
    if resource.status not in EDITABLE:
        raise ResourceNotEditable()


def edit_resource(actor: User, resource_id: int, *, version: int, **changes) -> Resource:
    """The owner unit's liaison (or the secretary) corrects an offer before it is listed.

    :raise ResourceNotEditable: it is listed (withdraw it and offer it again) or withdrawn.
    :raise VersionConflict: someone saved it since ``version``.
    :raise Forbidden: not the unit's liaison nor the secretary (for the new unit too).
    :raise Invalid: the new unit is not in the alliance, a neighbourhood is another community's,
        or the window ends before it starts.
    """
    resource = queries.get_resource(actor, resource_id, for_update=True)
    require(permissions.can_offer_for(actor, resource.unit_id, resource.community))
    check_editable(resource)
    check_version(resource, version)
    unit_id = changes.pop("unit_id", resource.unit_id)
    if unit_id != resource.unit_id:
        require(permissions.can_offer_for(actor, unit_id, resource.community))
        _check_member(unit_id, resource.community_id)
        resource.unit = db.session.get(Unit, unit_id)
    if "neighbourhood_ids" in changes:
        resource.neighbourhoods = _neighbourhoods(
            resource.community_id, list(changes.pop("neighbourhood_ids"))
        )
        touch(resource, "title")  # the row itself may not change; its version must
    _check_window(
        {
            "available_from": changes.get("available_from", resource.available_from),
            "available_until": changes.get("available_until", resource.available_until),
        }
    )
    for name, value in changes.items():
        setattr(resource, name, value)
    db.session.flush()
    return resource


def list_resource(actor: User, resource_id: int) -> Resource:
    """The secretary puts an offer on the alliance resource list."""
    resource = queries.get_resource(actor, resource_id, for_update=True)
    require(permissions.can_review_resources(actor, resource.community))
    RESOURCE_FLOW.move(resource, "list")
    resource.return_reason = ""
    db.session.flush()
    return resource


def send_back_resource(actor: User, resource_id: int, *, reason: str) -> Resource:
    """The secretary returns an offer to the unit with what to change."""
    resource = queries.get_resource(actor, resource_id, for_update=True)
    require(permissions.can_review_resources(actor, resource.community))
    RESOURCE_FLOW.move(resource, "send_back")
    resource.return_reason = reason
    db.session.flush()
    return resource


def reoffer_resource(actor: User, resource_id: int) -> Resource:
    """The unit offers a returned resource again after changing it."""
    resource = queries.get_resource(actor, resource_id, for_update=True)
    require(permissions.is_owner(actor, resource))
    RESOURCE_FLOW.move(resource, "reoffer")
    db.session.flush()
    return resource


def withdraw_resource(actor: User, resource_id: int) -> Resource:
    """The unit takes its offer back."""
    resource = queries.get_resource(actor, resource_id, for_update=True)
    require(permissions.can_offer_for(actor, resource.unit_id, resource.community))
    RESOURCE_FLOW.move(resource, "withdraw")
    db.session.flush()
    return resource
