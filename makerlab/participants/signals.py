"""Signals the participant registry sends, for rooms above it to react to.

``consent_withdrawn`` is sent inside the transaction that records a
withdrawal, before the caller commits, so a subscriber's writes (flagging
affected bookings and enrolments) land in the same commit. Sender: the
participant; keyword arguments: ``kinds`` (the ``ConsentKind`` values just
withdrawn), ``source`` (a ``ConsentSource`` value) and ``actor`` (the user,
or None for the guardian's own link). Subscribe in ``create_app``::

    consent_withdrawn.connect(flag_affected_commitments)
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

consent_withdrawn = _signals.signal("consent-withdrawn")
