"""六个一: an activity given as an item's evidence shows its photos on the term's page."""

from coop.extensions import db
from coop.photos import service as photos
from coop.terms.models import ItemKind
from tests.factories import login
from tests.photos.conftest import png
from tests.terms.conftest import held_activity, item_of, link


def test_an_activity_given_as_evidence_shows_its_photos_on_the_term_page(
    client, community, secretary, open_plan
):
    activity = held_activity(community, title="学雷锋志愿服务")
    shot = photos.add_photo(secretary, activity.id, png(), caption="学雷锋合影")
    link(secretary, item_of(open_plan, ItemKind.VOLUNTEER_ACTIVITY), "activity", activity.id)
    db.session.commit()
    login(client, secretary)
    html = client.get(f"/terms/{open_plan.term_id}").get_data(as_text=True)
    assert "学雷锋志愿服务" in html
    assert f"/photos/{shot.id}.jpg" in html and 'alt="学雷锋合影"' in html
