from flask import render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )


def render(template: str, block: str | None = None, **context) -> str:
    """The whole page, or only ``block`` of it when htmx asks for a fragment."""
    if block and is_htmx():
        return render_block(template, block, **context)
    return render_template(template, **context)
