"""Where each thing found is looked at: site paths, the same for the page and the API."""

from flask import url_for

from coop.search.service import PersonHit


def link(kind: str, item) -> str:
    if kind == "needs":
        return url_for("needs.detail", need_id=item.id)
    if kind == "projects":
        return url_for("projects.detail", project_id=item.id)
    if kind == "activities":
        return url_for("activities.detail", activity_id=item.id)
    if kind == "units":
        return url_for("alliance.unit", unit_id=item.id)
    assert isinstance(item, PersonHit)
    # Her row in the people list, where staff see and act on her (masked there too).
    return url_for("people.people", community_id=item.community_id, q=item.user.username)
