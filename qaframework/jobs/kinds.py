"""The kinds of background job, each registered once: who may ask for it, how its request is
checked, and the function that does the work.

A kind's ``run`` gets a database session of its own (the worker's, never a web request's), the
requesting user loaded in it (so the library's permission checks apply as they would on a page),
the checked parameters, the path to write its file to, and a progress callback. Reports and
imports register their kinds here (``qaframework.jobs.reports``; imports their own module).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from qaframework.reports import Progress
from qaframework.store import User

#: Parameters as stored with the job: JSON-safe, no free text.
Params = dict[str, Any]


@dataclass(frozen=True)
class JobOutput:
    """What a finished job leaves: a file to download (``filename`` and ``content_type``, the file
    itself at the path ``run`` was given), and/or a sentence for the requester."""

    filename: str | None = None
    content_type: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class JobKind:
    name: str
    #: Whether this user may ask for (and so see the result of) this kind of job.
    allowed: Callable[[User], bool]
    #: Checks and normalises a request's parameters; raises ``InvalidInput`` naming the field.
    check: Callable[[Session, Mapping[str, Any]], Params]
    #: A short title for lists and the job's page, e.g. "Board pack, 2025-26 Summer 1".
    title: Callable[[Params], str]
    #: The file name extension of the result (without dot), or None when the job makes no file.
    extension: Callable[[Params], str | None]
    run: Callable[[Session, User, Params, Path, Progress], JobOutput]


_KINDS: dict[str, JobKind] = {}
#: The modules that register kinds: imported by :func:`load_kinds`, so the web app and the consumer
#: process know the same kinds whichever imported what first.
KIND_MODULES = ("qaframework.jobs.reports",)


def load_kinds() -> dict[str, JobKind]:
    for module in KIND_MODULES:
        importlib.import_module(module)
    return dict(_KINDS)


def register(kind: JobKind) -> JobKind:
    """Add a kind; registering the same name again replaces it (module reloads in tests)."""
    _KINDS[kind.name] = kind
    return kind


def kind_named(name: str) -> JobKind | None:
    return _KINDS.get(name)


def registered() -> dict[str, JobKind]:
    return dict(_KINDS)
