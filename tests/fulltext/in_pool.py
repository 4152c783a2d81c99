"""Functions the tests run inside the filler's extraction processes: importable on their own (a
spawned process imports this module by name), without the tests' fixtures."""

from __future__ import annotations

import os


def scheduling() -> tuple[int, int | None]:
    """In an extraction process: (its niceness, its scheduling class where the platform has one)."""
    policy = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
    return os.getpriority(os.PRIO_PROCESS, 0), policy
