"""A small closed-loop HTTP load generator: N client threads, each with its own connection and
session, for a fixed time; reports requests per second and latency percentiles.

wrk cannot easily carry a per-client session, CSRF token and audit version, so the benchmark
uses this; the baseline is measured with the same generator, so the comparison is fair.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode


class Client:
    """One keep-alive connection with a cookie jar (reconnects when the server closes)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(host, port, timeout=30)

    def request(
        self, method: str, path: str, form: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response, data = self._send_with_one_retry(method, path, body, headers)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, data, dict(response.getheaders())

    def _send_with_one_retry(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        """Send once; if the server had closed the keep-alive connection, reconnect and send again."""
        try:
            return self._send(method, path, body, headers)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            return self._send(method, path, body, headers)

    def _send(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> tuple[http.client.HTTPResponse, bytes]:
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response, response.read()


@dataclass
class Result:
    label: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def row(self) -> str:
        return (f"{self.label:34} {self.clients:>3} clients  {self.throughput:8.1f} req/s  "
                f"p50 {self.percentile(50):7.2f} ms  p99 {self.percentile(99):7.2f} ms  "
                f"n={len(self.latencies_ms)} errors={self.errors}")


def run(
    label: str, clients: list[Client], step: Callable[[Client, int], bool], seconds: float, warmup: float = 1.0
) -> Result:
    """Each thread repeats ``step(client, i)`` (True = success) until time is up; warm-up is discarded."""
    result = Result(label, len(clients), seconds)
    lock = threading.Lock()
    start = time.perf_counter() + warmup
    stop = start + seconds

    def worker(client: Client) -> None:
        i = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= stop:
                return
            ok = step(client, i)
            t1 = time.perf_counter()
            i += 1
            if t0 >= start:
                with lock:
                    if ok:
                        result.latencies_ms.append((t1 - t0) * 1000)
                    else:
                        result.errors += 1

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
