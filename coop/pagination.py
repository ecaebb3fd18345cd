import sqlalchemy as sa

from coop.extensions import db


def paginate(
    query: sa.Select, page: int, per_page: int, *, count: sa.Select | int | None = None
) -> dict:
    """One page of ``query`` and how many rows it has in all; ``count`` is that number, or a
    cheaper query for it, when the list's own would make the server read every row it holds."""
    if count is None:
        count = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    total = count if isinstance(count, int) else db.session.scalar(count)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}
