"""Charts are SVG markup made on the server: well-formed (a PDF template takes them as they
are), no style attribute or element and no script (the CSP would refuse them in a page)."""

from decimal import Decimal
from xml.etree import ElementTree

from coop import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(markup):
    return ElementTree.fromstring(str(markup))


def test_bar_chart_is_well_formed_svg_without_style_or_script():
    markup = charts.bar_chart(
        ["1月", "2月"],
        [("关心关爱", [3, 0]), ("便民服务", [1, 2])],
        title="每月新登记需求 <按类别>",
        links=[["/a?x=1&y=2", None], [None, "/b"]],
    )
    svg = _parsed(markup)

    assert svg.tag == f"{SVG}svg"
    assert "style" not in markup and "<script" not in markup
    assert [a.get("href") for a in svg.iter(f"{SVG}a")] == ["/a?x=1&y=2", "/b"]
    # The stack's total over each bar: 4 in January, 2 in February.
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "4" in texts and "2" in texts


def test_bar_heights_follow_the_figures():
    svg = _parsed(charts.bar_chart(["a", "b"], [("n", [Decimal("2.5"), 5])], title="t"))
    heights = [float(r.get("height")) for r in svg.iter(f"{SVG}rect")]
    assert heights[1] == 2 * heights[0]


def test_ranking_chart_has_a_row_per_name_in_order():
    svg = _parsed(
        charts.ranking_chart(["甲社区", "乙社区"], [7, 3], title="t", links=["/c/1", "/c/2"])
    )
    bars = [a.get("aria-label") for a in svg.iter(f"{SVG}a")]
    assert bars == ["甲社区: 7", "乙社区: 3"]
