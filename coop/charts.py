"""Bar charts as SVG markup, made on the server: the same markup goes inline in a page and in a
WeasyPrint template (which runs no JavaScript).

Only presentation attributes (``fill``, ``font-size`` …), never a ``style`` attribute or a
``<style>`` element, and no script: our CSP (``style-src 'self'``, no inline script) would block
those in a page. Each bar may carry a link to the list behind it and a ``<title>`` (its figure,
shown on hover, and the link's name); the svg is a labelled group, not role="img", since it
holds links. The page puts the same figures in a table.
See docs/decisions.md (charts) for why not pygal.
"""

from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

# Tableau-like colours that stay apart for the common colour-vision deficiencies.
PALETTE = ("#b22222", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
WIDTH = 360
PLOT_TOP = 18
PLOT_HEIGHT = 150
AXIS = 28  # room on the left for the scale
LABELS = 22  # room under the bars for their labels
LEGEND_ROW = 16


def figure_text(value) -> str:
    """A figure as shown: whole numbers plain, others to one decimal."""
    if isinstance(value, Decimal | float):
        text = f"{float(value):.1f}"
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _scale_top(largest: float) -> float:
    """A round number at or above ``largest`` for the scale (1, 2, 5 × 10ⁿ)."""
    if largest <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= largest:
                return step * factor
        step *= 10


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    *,
    title: str,
    links: Sequence[Sequence[str | None]] | None = None,
    grouped: bool = False,
) -> Markup:
    """Stacked bars (side by side when ``grouped``), one per label; ``series`` is [(name, values per label)], ``links`` the same
    shape as the values (a URL or None per bar segment). Returns ``<svg>`` markup."""
    count = max(len(labels), 1)
    totals = [
        (max if grouped else sum)(float(values[i] or 0) for _, values in series)
        for i in range(len(labels))
    ]
    top = _scale_top(max(totals, default=0))
    slot = (WIDTH - AXIS) / count
    bar = max(slot * 0.7, 2)
    legend_rows = (len(series) + 2) // 3 if len(series) > 1 else 0
    height = PLOT_TOP + PLOT_HEIGHT + LABELS + legend_rows * LEGEND_ROW + 4
    base = PLOT_TOP + PLOT_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="group" aria-label="{escape(title)}" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{AXIS}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#888" stroke-width="1"/>',
        f'<line x1="{AXIS}" y1="{PLOT_TOP}" x2="{WIDTH}" y2="{PLOT_TOP}" stroke="#ddd"'
        ' stroke-width="1"/>',
        f'<text x="{AXIS - 4}" y="{PLOT_TOP + 4}" font-size="10" text-anchor="end"'
        f' fill="#555">{figure_text(top)}</text>',
        f'<text x="{AXIS - 4}" y="{base}" font-size="10" text-anchor="end" fill="#555">0</text>',
    ]
    for i, label in enumerate(labels):
        x = AXIS + slot * i + (slot - bar) / 2
        y = base
        for s, (name, values) in enumerate(series):
            value = values[i] or 0
            if not value:
                continue
            h = float(value) / top * PLOT_HEIGHT
            width = bar / len(series) if grouped else bar
            left = x + width * s if grouped else x
            y = base - h if grouped else y - h
            said = f"{escape(label)} {escape(name)}: {figure_text(value)}"
            rect = (
                f'<rect x="{left:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}"'
                f' fill="{PALETTE[s % len(PALETTE)]}"><title>{said}</title></rect>'
            )
            link = links[s][i] if links else None
            # Out of the tab order: keyboards reach the same links in the table behind the chart
            # (one stop per figure there, not one per bar segment here).
            parts.append(
                f'<a href="{escape(link)}" aria-label="{said}" tabindex="-1">{rect}</a>'
                if link
                else rect
            )
        if totals[i] and not grouped:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{y - 3:.1f}" font-size="9" text-anchor="middle"'
                f' fill="#333">{figure_text(sum(v[i] or 0 for _, v in series))}</text>'
            )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{base + 14}" font-size="10" text-anchor="middle"'
            f' fill="#333">{escape(label)}</text>'
        )
    if legend_rows:
        column = (WIDTH - AXIS) / 3
        for s, (name, _) in enumerate(series):
            lx = AXIS + column * (s % 3)
            ly = base + LABELS + (s // 3) * LEGEND_ROW
            parts.append(
                f'<rect x="{lx:.1f}" y="{ly}" width="10" height="10"'
                f' fill="{PALETTE[s % len(PALETTE)]}"/>'
                f'<text x="{lx + 14:.1f}" y="{ly + 9}" font-size="10" fill="#333">'
                f"{escape(name)}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


ROW = 18
NAME_WIDTH = 96


def ranking_chart(
    labels: Sequence[str],
    values: Sequence,
    *,
    title: str,
    links: Sequence[str | None] | None = None,
) -> Markup:
    """Horizontal bars, one row per label in the given order: for comparing many named things
    (communities) where names under upright bars would overlap. Grows in height, not width."""
    top = _scale_top(max((float(v or 0) for v in values), default=0))
    plot = WIDTH - NAME_WIDTH - 40
    height = max(len(labels), 1) * ROW + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" role="group" aria-label="{escape(title)}" font-family="sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 4 + i * ROW
        w = float(value or 0) / top * plot
        said = f"{escape(label)}: {figure_text(value)}"
        name = label if len(label) <= 7 else label[:6] + "…"
        parts.append(
            f'<text x="{NAME_WIDTH - 4}" y="{y + 12}" font-size="10" text-anchor="end"'
            f' fill="#333">{escape(name)}</text>'
        )
        rect = (
            f'<rect x="{NAME_WIDTH}" y="{y + 2}" width="{w:.1f}" height="{ROW - 6}"'
            f' fill="{PALETTE[0]}"><title>{said}</title></rect>'
        )
        link = links[i] if links else None
        parts.append(
            f'<a href="{escape(link)}" aria-label="{said}" tabindex="-1">{rect}</a>'
            if link
            else rect
        )
        parts.append(
            f'<text x="{NAME_WIDTH + w + 4:.1f}" y="{y + 12}" font-size="10"'
            f' fill="#333">{figure_text(value)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
