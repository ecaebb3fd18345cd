"""The SQL statements sent inside a block: how many, which, and which of them write.

``count_queries`` (conftest) is this for the test's app; tests that watch another app's engine
(the demo walked page by page) use ``statements_sent`` directly.
"""

import re
from contextlib import contextmanager

import sqlalchemy as sa

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class Sent(list):
    """The statements, in the order sent (an executemany is one)."""

    @property
    def n(self) -> int:
        return len(self)

    @property
    def writes(self) -> list[str]:
        return [statement for statement in self if WRITE.match(statement)]


@contextmanager
def statements_sent(engine: sa.Engine):
    sent = Sent()

    def seen(_conn, _cursor, statement, *_args):
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
