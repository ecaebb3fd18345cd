from tests.factories import make_community


def test_factories_build_a_community(ctx):
    community = make_community()
    assert community.id and len(community.neighbourhoods) == 2
