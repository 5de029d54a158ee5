"""The rooms of the app, and how the frame finds their pages, API routes and commands.

``create_app`` registers ``makerlab.<domain>.views.bp``, ``.api.blp`` and
``.cli.commands`` of every domain listed here that has the module; they are
imported when the app is built, so this module imports none of them.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

DOMAINS = (
    "auth",
    "sites",
    "equipment",
    "bookings",
    "schools",
    "participants",
    "workshops",
    "feeds",
    "reports",
    "notifications",
    "audit",
    "today",
    "attention",
    "desk",
)


def domain_modules(suffix: str) -> list[ModuleType]:
    """``makerlab.<domain>.<suffix>`` for every domain that has one."""
    modules = []
    for name in DOMAINS:
        module_name = f"makerlab.{name}.{suffix}"
        if importlib.util.find_spec(module_name) is not None:
            modules.append(importlib.import_module(module_name))
    return modules
