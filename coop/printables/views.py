from urllib.parse import quote

from flask import Blueprint

from coop.auth.current import login_required, require_actor
from coop.printables import signin

bp = Blueprint("printables", __name__)


def pdf_response(data: bytes, filename: str, *, private: bool = True):
    """A PDF the browser shows (inline), named for saving; never cached by a shared proxy."""
    return (
        data,
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store" if private else "private, max-age=60",
        },
    )


@bp.get("/activities/<int:activity_id>/sign-in-sheet.pdf")
@login_required
def sign_in_sheet(activity_id: int):
    return pdf_response(signin.sign_in_sheet(require_actor(), activity_id), "签到表.pdf")
