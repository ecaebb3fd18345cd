"""The person a post goes to: found by phone, or added without a password and invited.

Nobody types another person's password: a person the street admin adds gets a one-time
invitation code (``coop.auth.invitations``), shown once, with which she sets her own.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from coop.auth import invitations
from coop.auth.models import User
from coop.errors import Invalid
from coop.extensions import db
from coop.people.service import generated_username, taken_usernames
from coop.setup import errors


@dataclass
class Person:
    user: User
    invitation_code: str | None = None  # set when she was added now: shown once

    @property
    def is_new(self) -> bool:
        return self.invitation_code is not None


def by_phone(phone: str) -> User | None:
    """The one person registered with this phone, if any.

    :raise Invalid: several people share it, or hers is deactivated.
    """
    found = list(db.session.scalars(sa.select(User).where(User.phone == phone).limit(2)))
    if len(found) > 1:
        raise Invalid(
            errors={
                "phone": [_("有多位人员登记了这个手机号，无法确定是谁；请先更正其中一位的手机号。")]
            }
        )
    if found and not found[0].is_active:
        raise Invalid(errors={"phone": [_("这个手机号的人员已停用。")]})
    return found[0] if found else None


def find_or_invite(
    actor: User, *, phone: str, display_name: str, username: str | None, now: datetime
) -> Person:
    """The person with this phone; otherwise a new person without a password, with a fresh
    invitation code.

    :raise Invalid: no name for a new person, the username is taken, or the phone is ambiguous.
    """
    existing = by_phone(phone)
    if existing is not None:
        return Person(existing)
    if not display_name:
        raise Invalid(
            errors={"display_name": [_("这个手机号还没有登记，请填写姓名以添加新人员。")]}
        )
    if username:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is not None:
            raise errors.UsernameTaken()
    else:  # her phone, as when people are added or imported (coop.people.service)
        username = phone if not taken_usernames([phone]) else generated_username(set())
    user = User(username=username, display_name=display_name, phone=phone)
    invitations.without_password(user)
    db.session.add(user)
    db.session.flush()
    return Person(user, invitations.issue_invitation(user, by=actor, now=now))
