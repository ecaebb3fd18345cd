"""State machines: each list's legal moves written down once, next to its model.

``FLOW.move(obj, "publish")`` changes ``obj.status`` or raises ``IllegalTransition`` (409) with a
message that names the state and the action in the user's words; nothing changes on refusal.
"""

import enum
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from coop.errors import Conflict


class IllegalTransition(Conflict):
    code = "illegal_transition"
    default_message = _l("当前状态下不能执行此操作。")


@dataclass(frozen=True)
class StateMachine:
    name: str  # what the object is called on screen, e.g. 需求
    moves: dict[str, tuple[frozenset, enum.Enum]]  # action → (from states, to state)
    action_labels: dict[str, object] = field(default_factory=dict)

    def can(self, obj, action: str) -> bool:
        sources, _target = self.moves[action]
        return obj.status in sources

    def allowed(self, obj) -> list[str]:
        return [action for action in self.moves if self.can(obj, action)]

    def move(self, obj, action: str) -> None:
        """:raise IllegalTransition: the object's state does not allow ``action``."""
        self.check(obj, action)
        obj.status = self.moves[action][1]

    def check(self, obj, action: str) -> None:
        """Like move, without moving: for rules that must be checked before others."""
        if not self.can(obj, action):
            raise IllegalTransition(
                _(
                    "%(thing)s当前为“%(state)s”，不能%(action)s。",
                    thing=str(self.name),
                    state=obj.status.label,
                    action=str(self.action_labels.get(action, action)),
                )
            )


def moves(**table) -> dict:
    """moves(publish=((DRAFT,), PUBLISHED), ...) with the sources frozen."""
    return {action: (frozenset(sources), target) for action, (sources, target) in table.items()}
