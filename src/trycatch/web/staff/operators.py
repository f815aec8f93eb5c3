"""The signed-in staff member as the evals layer sees them: an ``Operator``.

The evals layer does not know the desk's roles; what a role allows there is decided here,
from the desk's policy (``agent.improve`` for agents, ``agent.manage`` for admins).
"""

from __future__ import annotations

from trycatch.desk import Action, can
from trycatch.evals.access import Operator
from trycatch.web.staff.session import StaffSession


def operator_of(staff: StaffSession) -> Operator:
    user = staff.user
    return Operator(
        label=user.email,
        may_improve=can(user, Action.IMPROVE_AGENT),
        may_activate=can(user, Action.MANAGE_AGENT),
    )


__all__ = ["operator_of"]
