"""Pages: a change that hits future plans is saved only once the person has seen what it hits.

The view runs the change and :func:`replan_confirmed` inside ``submit``; the
first time, when something is hit, :class:`Unconfirmed` rolls it all back
and the view shows the same form again with the summary and a hidden
``confirm_impact`` field, so sending it again saves the change.
"""

from __future__ import annotations

from flask_babel import gettext as _

from makerlab.auth.models import User
from makerlab.errors import Conflict
from makerlab.planning.hits import Impact
from makerlab.planning.impact import Change, find_impact, lift_undone, record_impact
from makerlab.planning.summary import Summary, summarise

CONFIRM_FIELD = "confirm_impact"


class Unconfirmed(Conflict):
    """Not saved: the change hits future plans the person has not seen yet."""

    def __init__(self, summary: Summary) -> None:
        super().__init__(_("Please check what this change hits, then save again."))
        self.summary = summary


def replan_confirmed(change: Change, actor: User | None, confirmed: bool) -> Impact:
    """Record ``change``'s impact, or raise :class:`Unconfirmed` if it hits something unseen."""
    impact = find_impact(change)
    if not impact.empty and not confirmed:
        raise Unconfirmed(summarise(impact))
    record_impact(impact, actor)
    lift_undone(change)
    return impact


def unconfirmed_summary(error: object) -> Summary | None:
    """The summary to show when ``submit`` stopped at :class:`Unconfirmed`."""
    return error.summary if isinstance(error, Unconfirmed) else None
