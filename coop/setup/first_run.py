"""The first run: until a street and its first admin exist, nothing but the set-up page works.

The set-up inserts the one ``installation`` row (its id can only be 1) in the same transaction
that creates the street and its admin, so of two set-ups racing, the database lets exactly one
commit; the other is refused with ``AlreadySetUp``. A database with a street counts as set up
too (the demo's, or one from before this page existed). The page, the API gate and
``flask --app coop setup`` all go through :func:`set_up`.
"""

import sqlalchemy as sa
from flask import current_app, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from coop.alliance.models import Street
from coop.auth.models import NO_PASSWORD, Role, RoleGrant, User
from coop.auth.service import password_problems
from coop.dbtypes import utcnow
from coop.errors import Invalid
from coop.escalations import service as escalations_service
from coop.extensions import db
from coop.setup import errors
from coop.setup.models import INSTALLATION_ID, Installation

# Once a process has seen the installation row it stops asking: a set-up is never undone.
_REMEMBERED = "coop.set_up"
# What answers before the set-up: the set-up page itself, static files, the health check, the
# language switch (so she can read the set-up page in English) and the API's description.
_OPEN_ENDPOINTS = {"setup.first_run", "static", "shell.health", "shell.language"}


def is_set_up() -> bool:
    """Whether this database has been set up: the set-up's row exists, or a street does (one
    made before the set-up page existed, or by the demo, or by tests' factories)."""
    if current_app.extensions.get(_REMEMBERED):
        return True
    found = _found_in_database()
    if found:
        current_app.extensions[_REMEMBERED] = True
    return found


def _found_in_database() -> bool:
    return bool(
        db.session.scalar(
            sa.select(
                sa.or_(sa.exists(sa.select(Installation.id)), sa.exists(sa.select(Street.id)))
            )
        )
    )


def forget() -> None:
    """Ask the database again on the next request (tests that empty it)."""
    current_app.extensions.pop(_REMEMBERED, None)


def set_up(
    *, street_name: str, username: str, display_name: str, phone: str, password: str
) -> User:
    """Create the first street and its first street admin with her own password, once.

    :raise AlreadySetUp: the database was set up before, or by a set-up racing this one.
    :raise Invalid: the password will not do (``password_problems``).
    """
    if _found_in_database():
        raise errors.AlreadySetUp()
    try:
        with db.session.begin_nested():  # the loser of a race waits here, then fails
            db.session.add(Installation(id=INSTALLATION_ID, set_up_at=utcnow()))
    except IntegrityError:
        raise errors.AlreadySetUp() from None
    admin = found_street(
        street_name=street_name,
        username=username,
        display_name=display_name,
        phone=phone,
        password=password,
    )
    db.session.get(Installation, INSTALLATION_ID).set_up_by_id = admin.id
    db.session.flush()
    return admin


def found_street(
    *, street_name: str, username: str, display_name: str, phone: str, password: str
) -> User:
    """A street and its first street admin, who chose her own password. :func:`set_up` calls
    it once; the demo calls it directly when loaded into a database set up before.

    :raise Invalid: the street or username is taken, or the password will not do.
    """
    street_name = street_name.strip()
    if db.session.scalar(sa.select(Street.id).where(Street.name == street_name)) is not None:
        raise Invalid(errors={"street_name": [_("已有同名的街道。")]})
    if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise errors.UsernameTaken()
    admin = User(
        username=username,
        display_name=display_name,
        phone=phone or None,
        password_hash=NO_PASSWORD,
    )
    problems = password_problems(admin, password)
    if problems:
        raise Invalid(errors={"password": problems})
    admin.set_password(password)
    street = Street(name=street_name)
    admin.grants.append(RoleGrant(role=Role.STREET_ADMIN, street=street))
    db.session.add_all([street, admin])
    db.session.flush()
    escalations_service.seed_departments(street)
    return admin


def gate():
    """Before the set-up, a page sends her to /setup and the API answers 503 ``not_set_up``."""
    if request.endpoint in _OPEN_ENDPOINTS or request.path.startswith("/api/v1/openapi"):
        return None
    try:
        if is_set_up():
            return None
    except sa.exc.OperationalError:
        # The database is away: the page's own first read answers 503 where it can re-draw its
        # form (a sign-in keeps what was typed), rather than this gate redirecting.
        db.session.rollback()
        return None
    if request.path.startswith("/api/"):
        raise errors.NotSetUp()
    return redirect(url_for("setup.first_run"))
