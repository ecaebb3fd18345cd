import sqlalchemy as sa

from coop.extensions import db


def paginate(query: sa.Select, page: int, per_page: int) -> dict:
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "total": total, "page": page, "per_page": per_page}
