"""Production serving (issue 10): `make serve` (scripts/serve.sh) runs gunicorn with several
workers on the suite's database and the suite's Redis, and the workers share what must be shared.

Sync workers take one connection at a time, and connections are accepted in order: a connection
opened and left silent holds one worker, so the next request is served by another. The access log
names each request's worker (``pid=``), and the tests check that two different workers served the
two halves of each story.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session

from qaframework.operations.users import add_user
from qaframework.store.db import make_engine
from tests.support import TEST_PASSWORD, scratch_database

ROOT = Path(__file__).resolve().parents[1]
SECRET = "3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
FREE_TRIES = 2
START_SECONDS = 180  # qa init on a fresh database, then the workers, on a busy shared machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One running `make serve`: its address and its log (gunicorn's access log is on stdout)."""

    port: int
    log: Path
    process: subprocess.Popen[bytes]
    with_redis: bool
    probes: int = 0

    def connection(self) -> http.client.HTTPConnection:
        """A connection opened now, before anything is sent: it holds the worker that accepts it."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.connect()
        return conn

    def probe(self) -> str:
        """A query string that makes one request findable in the access log."""
        self.probes += 1
        return f"probe={self.probes}"

    def worker_of(self, probe: str) -> int:
        """The pid of the worker that served the request carrying ``probe`` (from the access log)."""
        pattern = re.compile(rf"[?&]{probe}\b[^\n]*pid=<?(\d+)")
        for _ in range(100):
            found = pattern.search(self.log.read_text(errors="replace"))
            if found:
                return int(found.group(1))
            time.sleep(0.05)
        raise AssertionError(f"{probe} is not in the access log")


@dataclass
class Browser:
    """A cookie jar: each request on a new connection (sync workers close after each response)."""

    server: Server
    cookies: dict[str, str] = field(default_factory=dict)

    def send(self, method: str, path: str, form: dict[str, str] | None = None,
             conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], str]:
        conn = conn or self.server.connection()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text

    def csrf_token(self) -> str:
        status, _, page = self.send("GET", "/sign-in")
        assert status == 200
        found = TOKEN_RE.search(page)
        assert found, "no CSRF token on the sign-in page"
        return found.group(1)

    def sign_in(self, email: str, password: str, path: str = "/sign-in",
                conn: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], str]:
        token = self.csrf_token()
        return self.send("POST", path, {"csrf_token": token, "email": email, "password": password}, conn)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to serve.sh, which stops gunicorn and the job worker; its own group if that fails."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _environment(instance: Path, database: str, redis: str | None, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("QA_", "FLASK_")) and key not in {"SECRET_KEY", "REDIS_URL", "DATABASE_URL"}}
    env.update({"DATABASE_URL": database, "SECRET_KEY": SECRET, "QA_INSTANCE_PATH": str(instance),
                "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "QA_THROTTLE_FREE_TRIES": str(FREE_TRIES),
                "PYTHONPATH": str(ROOT)})
    if redis:
        env["REDIS_URL"] = redis
    return env


def _start(tmp: Path, env: dict[str, str], command: list[str]) -> Server:
    log = tmp / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(int(env["BIND"].rsplit(":", 1)[1]), log, process, "REDIS_URL" in env)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server stopped: {log.read_text()[-3000:]}")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                return server
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.3)
    _stop(process)
    raise AssertionError(f"the server did not answer in {START_SECONDS} s: {log.read_text()[-3000:]}")


@pytest.fixture(scope="module", params=["redis", "database"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`make serve` with 2 workers and Redis; or the same gunicorn settings with the password counts
    in the database instead (no Redis), as `make run` keeps them."""
    tmp = tmp_path_factory.mktemp(f"serve-{request.param}")
    with scratch_database(tmp, f"qa_serving_{request.param}") as url:
        redis = request.getfixturevalue("redis_url") if request.param == "redis" else None
        if redis:
            import redis as redis_client

            redis_client.Redis.from_url(redis).flushdb()
        env = _environment(tmp / "instance", url, redis, _free_port())
        if request.param == "redis":
            command = ["bash", "scripts/serve.sh"]
        else:
            subprocess.run([str(ROOT / ".venv/bin/qa"), "init"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            command = [str(ROOT / ".venv/bin/gunicorn"), "--config", "python:webapp.gunicorn_conf",
                       "webapp:create_app()"]
        running = _start(tmp, env, command)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                add_user(session, None, email="admin@serving.example", password=TEST_PASSWORD, role="admin")
            yield running
        finally:
            engine.dispose()
            _stop(running.process)


def test_signing_out_in_one_worker_ends_the_session_in_another(server: Server) -> None:
    browser = Browser(server)
    status, headers, _ = browser.sign_in("admin@serving.example", TEST_PASSWORD)
    assert status == 302, "signed in"
    assert "Secure" in headers["set-cookie"] and "HttpOnly" in headers["set-cookie"]  # production's cookie
    copy = Browser(server, dict(browser.cookies))

    held = server.connection()  # one worker waits on this connection ...
    signed_in, signed_out = server.probe(), server.probe()
    status, _, _ = copy.send("GET", f"/cases?{signed_in}")  # ... so another serves these
    assert status == 200, "the session started in one worker is valid in another"
    status, _, page = browser.send("GET", "/sign-out")
    token = TOKEN_RE.search(page)
    assert status == 200 and token
    status, _, _ = browser.send("POST", f"/sign-out?{signed_out}", {"csrf_token": token.group(1)})
    assert status == 302

    after = server.probe()
    status, headers, _ = copy.send("GET", f"/cases?{after}", conn=held)  # the held worker, signed out elsewhere
    assert status == 302 and headers["location"].startswith("/sign-in")
    assert server.worker_of(signed_out) != server.worker_of(after)
    assert server.worker_of(signed_in) != server.worker_of(after)


def test_wrong_passwords_are_counted_across_workers(server: Server) -> None:
    email = f"guess-{server.probes}@serving.example"
    browser = Browser(server)
    probes = []
    for _ in range(FREE_TRIES // 2):
        held = server.connection()
        first, second = server.probe(), server.probe()
        token = browser.csrf_token()
        form = {"csrf_token": token, "email": email, "password": "not-the-password"}
        status, _, page = browser.send("POST", f"/sign-in?{first}", form)
        assert status == 200 and "Enter a correct email address and password" in page
        status, _, page = browser.send("POST", f"/sign-in?{second}", form, conn=held)
        assert status == 200 and "Enter a correct email address and password" in page
        probes += [first, second]
    assert len({server.worker_of(probe) for probe in probes}) == 2, "both workers counted failures"
    status, headers, page = browser.sign_in(email, "not-the-password")
    assert status == 429, "the failures counted in both workers add up"
    assert 20 <= int(headers["retry-after"]) <= 30  # 30 s after the last failure, on a busy machine
    assert "Too many attempts. Wait" in page


def test_health_check_answers_for_database_and_redis_without_a_session(server: Server) -> None:
    status, headers, body = Browser(server).send("GET", "/healthz")
    assert status == 200 and "set-cookie" not in headers
    expected = {"database": "ok", "redis": "ok"} if server.with_redis else {"database": "ok"}
    assert json.loads(body) == {"status": "ok", "checks": expected}


@pytest.mark.parametrize(("unset", "message"), [
    ("SECRET_KEY", "Cannot start: SECRET_KEY is not set."),
    ("DATABASE_URL", "make serve: DATABASE_URL is not set."),
    ("REDIS_URL", "make serve: REDIS_URL is not set."),
])
def test_make_serve_refuses_to_start_without_its_settings(tmp_path: Path, unset: str, message: str) -> None:
    env = _environment(tmp_path / "instance", f"sqlite:///{tmp_path / 'qa.sqlite'}", "redis://127.0.0.1:1/0",
                       _free_port())
    del env[unset]
    done = subprocess.run(["bash", "scripts/serve.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "qa.sqlite").exists()  # refused before touching the database
