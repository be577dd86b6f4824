"""Uploaded case files kept on the server between "check" and "import".

The browser only ever holds a random token, never the file: what is imported is exactly what
was checked, and a client cannot swap in other bytes. Files are private to the server (0600),
belong to the administrator who uploaded them, and are deleted after import or after an hour.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, request
from werkzeug.utils import secure_filename

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_AGE_SECONDS = 60 * 60
#: The audit trail keeps the file name in a 40-character column.
MAX_FILENAME = 40


#: The routes that take a whole case file, and so the larger CASE_IMPORT_MAX_CONTENT_LENGTH.
LARGE_UPLOAD_ENDPOINTS = frozenset({"admin.upload_cases"})


def init_app(app: Flask) -> None:
    """Give the case-file upload route its own, larger, body limit.

    Registered before the NUL check and CSRF protection read the form, so the limit is in force when the body is
    parsed; every other route keeps MAX_CONTENT_LENGTH.
    """

    @app.before_request
    def _large_upload_limit() -> None:
        if request.endpoint in LARGE_UPLOAD_ENDPOINTS:
            request.max_content_length = app.config["CASE_IMPORT_MAX_CONTENT_LENGTH"]


@dataclass(frozen=True)
class StoredUpload:
    token: str
    filename: str
    data: bytes
    owner_id: int
    created: float


def safe_filename(name: str) -> str:
    """The base name made safe by Werkzeug's ``secure_filename`` (ASCII, no path, no spaces),
    at most 40 characters, keeping a lower-case extension; "cases" if nothing usable is left."""
    base = re.split(r"[\\/]", name or "")[-1]  # a Windows path's base name too, on any server
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix).lower()[:8]
    room = MAX_FILENAME - (len(suffix) + 1 if suffix else 0)
    stem = secure_filename(stem)[:room].rstrip("._") or "cases"
    return f"{stem}{'.' + suffix if suffix else ''}"


class UploadStore:
    """Files in one private folder, named by token: ``<token>.bin`` and ``<token>.json``."""

    def __init__(self, folder: Path, max_age_seconds: int = MAX_AGE_SECONDS) -> None:
        self.folder = folder
        self.max_age = max_age_seconds

    def save(self, data: bytes, filename: str, owner_id: int) -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.purge_expired()
        token = secrets.token_urlsafe(24)
        meta = {"filename": safe_filename(filename), "owner_id": owner_id, "created": time.time()}
        self._write(self._path(token, "bin"), data)
        self._write(self._path(token, "json"), json.dumps(meta).encode())
        return token

    def load(self, token: str, owner_id: int) -> StoredUpload | None:
        """The upload, or None if the token is malformed, unknown, expired or someone else's."""
        if not TOKEN_RE.fullmatch(token or ""):
            return None
        try:
            meta = json.loads(self._path(token, "json").read_bytes())
            data = self._path(token, "bin").read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("owner_id") != owner_id:
            return None
        if time.time() - float(meta.get("created", 0)) > self.max_age:
            self.discard(token)
            return None
        return StoredUpload(token, str(meta["filename"]), data, owner_id, float(meta["created"]))

    def discard(self, token: str) -> None:
        if TOKEN_RE.fullmatch(token or ""):
            for kind in ("bin", "json"):
                self._path(token, kind).unlink(missing_ok=True)

    def purge_expired(self) -> int:
        """Delete files older than the time limit (uploads nobody went on to import); returns how many."""
        removed = 0
        cutoff = time.time() - self.max_age
        for path in self.folder.glob("*.*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
            except OSError:
                continue
        return removed

    def _path(self, token: str, kind: str) -> Path:
        return self.folder / f"{token}.{kind}"

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
