"""Two people editing the same object: the second to save is told, never silently overwrites.

A ``Versioned`` model carries a ``version`` that SQLAlchemy checks and bumps on every UPDATE of
its row (``version_id_col``): the statement says ``WHERE id = … AND version = <loaded>``, so
PostgreSQL and SQLite themselves refuse a write based on a stale read, and SQLAlchemy raises
``StaleDataError`` (answered as 409 ``version_conflict`` by ``coop.errors``). An edit form and a
PATCH body carry the version the editor saw; ``check_version`` refuses a stale one up front, with
the same 409, before anything is changed.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.attributes import flag_modified

from coop.errors import VersionConflict
from coop.schemas import Int


class Versioned:
    version: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def check_version(obj: Versioned, seen: int) -> None:
    """:raise VersionConflict: someone saved ``obj`` since the editor loaded version ``seen``."""
    if obj.version != seen:
        raise VersionConflict()


def touch(obj: Versioned, column: str) -> None:
    """Make the next flush UPDATE ``obj`` (and so check and bump its version) even when only
    rows that hang off it changed, e.g. a person's profile beside her user row."""
    flag_modified(obj, column)


def version_field():
    """The ``version`` an edit form or PATCH body carries: the one the editor loaded."""
    return Int(
        required=True,
        minimum=1,
        metadata={"description": "The version the editor loaded; a stale one is 409"},
    )


def patch_schema(schema_cls, **kwargs):
    """``schema_cls`` for a PATCH: only the fields sent change, but ``version`` is required."""
    names = tuple(name for name in schema_cls._declared_fields if name != "version")
    return schema_cls(partial=names, **kwargs)
