"""Saving only what this user changed, and showing what collided when someone else saved first.

Each question's field carries a digest of the answer as the page first showed it. On save, an
answer whose digest still matches was not touched by this user and is not sent, so a colleague's
answers saved meanwhile are left alone (a three-way merge). When a save is refused as stale, the
conflict page lists the questions where the saved answer and this user's answer really differ.
Both comparisons use the library's own normal form (``ResponseInput.normalised``), so a
difference here is a difference the library would store.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qaframework.checklists.model import Question
from qaframework.operations.audits import Judgement, ResponseInput
from qaframework.scoring import Answer

DIGEST_RE = re.compile(r"^[0-9a-f]{16}$")

#: One stored answer in the library's normal form: (rating, evidence, N/A reason).
Normal = tuple[str | None, str, str]


def _as_input(value: Answer | ResponseInput | None) -> ResponseInput:
    return value if isinstance(value, ResponseInput) else ResponseInput.from_answer(value)


def answer_digest(value: Answer | ResponseInput | None) -> str:
    """A short fingerprint of an answer as the library would store it."""
    normal = _as_input(value).normalised()
    return hashlib.sha1("\x1f".join(x or "" for x in normal).encode()).hexdigest()[:16]


def changed_only(given: Mapping[str, ResponseInput], bases: Mapping[str, str]) -> dict[str, ResponseInput]:
    """Only the answers the user changed since the page was shown (three-way merge: a colleague's
    saved answers to other questions are left alone). Without a digest, the answer counts as changed;
    ids the template does not know are passed on so the library refuses them."""
    return {qid: value for qid, value in given.items() if qid not in bases or answer_digest(value) != bases[qid]}


@dataclass(frozen=True)
class Difference:
    """A question where the saved answer and this user's unsaved answer disagree."""

    question: Question
    saved: Normal
    yours: Normal


def differences(
    questions: Iterable[Question], stored: Mapping[str, Answer], mine: Mapping[str, ResponseInput]
) -> list[Difference]:
    result = []
    for q in questions:
        if q.id not in mine:
            continue
        saved = ResponseInput.from_answer(stored.get(q.id)).normalised()
        yours = mine[q.id].normalised()
        if saved != yours:
            result.append(Difference(q, saved, yours))
    return result


def judgement_differences(
    stored: Judgement, given: Judgement, labels: Mapping[str, str]
) -> list[tuple[str, str, object, object]]:
    """(field, label, saved, yours) for each judgement field that differs from what is stored."""
    saved, mine = stored.normalised(), given.normalised()
    return [
        (key, label, saved.get(key), mine.get(key))
        for key, label in labels.items()
        if (saved.get(key) or None) != (mine.get(key) or None)
    ]
