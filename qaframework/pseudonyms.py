"""Keyed pseudonyms for people known to us only through an imported return (SEN2).

A case reference made from a child's UPN (or ULN, or names and birth date) with HMAC-SHA256 under a
key kept in the instance folder: next year's return gives the same reference, so the case is
found again, and without the key nobody can go from the reference back to the child, nor test a
guessed UPN against it. The key is created on first use, readable by its owner only (0600); lose it
and the next import makes new cases, so it is backed up with the database (README, "The pseudonym
key").
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from datetime import date
from pathlib import Path

KEY_FILENAME = "pseudonym.key"
#: Case references made here start with this, so people can tell them from the council's own.
PREFIX = "S2-"


def load_or_create_key(folder: Path) -> bytes:
    """The instance's pseudonym key, created (mode 0600, atomically) the first time it is needed."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILENAME
    if not path.exists():
        tmp = folder / f".{KEY_FILENAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise RuntimeError(f"{path} is not a pseudonym key; restore it from the backup")
    return key


def _reference(key: bytes, kind: str, value: str) -> str:
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest[:15]).decode("ascii")


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def person_reference(
    key: bytes, *, upn: str | None = None, uln: str | None = None, surname: str | None = None,
    forename: str | None = None, birth_date: date | None = None,
) -> str | None:
    """The case reference for a person: from the UPN, else the ULN, else names and birth date.

    None when none of these is known (the import reports it). Letter case and spacing in names do
    not change the reference.
    """
    if upn:
        return _reference(key, "upn", upn.strip().upper())
    if uln:
        return _reference(key, "uln", uln.strip())
    if surname and forename and birth_date:
        return _reference(key, "name", f"{_fold(surname)}\x1f{_fold(forename)}\x1f{birth_date.isoformat()}")
    return None


#: Case keys in the analysts' extract start with this (never a case reference: a different prefix).
CASE_KEY_PREFIX = "K-"


def case_key(key: bytes, case_ref: str) -> str:
    """The analysts' extract's key for a case: an HMAC of its case reference under the instance key.

    Stable from one extract to the next (analysts can follow a case over the years and join two
    extracts), but not the council's reference: an analyst cannot look the child up in the
    case-management system, nor test a guessed reference, without the key. Kept apart from
    :func:`person_reference` by its ``case:`` label, so no key is ever also a stored reference.
    """
    digest = hmac.new(key, f"case:{case_ref}".encode(), hashlib.sha256).digest()
    return CASE_KEY_PREFIX + base64.b32encode(digest[:15]).decode("ascii")
