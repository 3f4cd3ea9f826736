"""A tiny metrics exporter for the real-Prometheus test: text exposition format 0.0.4 over stdlib HTTP.

Per version it exposes both plain application metrics (``http_requests_total``,
``http_request_duration_seconds`` histogram) and Istio's (``istio_requests_total``,
``istio_request_duration_milliseconds`` histogram, reported by both proxies). Every series exists
from the first scrape with value 0, then ``emit()`` adds a known batch of requests in one step.
Format: https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rolldeck.engine.buckets import DEFAULT_LE_BOUNDS

ISTIO_MS: tuple[float, ...] = (0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
                               60000, 300000, 600000, 1800000, 3600000)


@dataclass(frozen=True)
class Batch:
    """Requests of one version: (status, duration in seconds) pairs."""

    requests: tuple[tuple[int, float], ...]

    @property
    def n(self) -> int:
        return len(self.requests)

    @property
    def errors(self) -> int:
        return sum(1 for status, _ in self.requests if status >= 500)

    def slower_than(self, seconds: float) -> int:
        return sum(1 for _, d in self.requests if d > seconds)

    def cumulative(self, bounds_s: Sequence[float]) -> tuple[float, ...]:
        return tuple(float(sum(1 for _, d in self.requests if d <= b)) for b in bounds_s) + (float(self.n),)

    def by_status(self, status: int) -> int:
        return sum(1 for s, _ in self.requests if s == status)


def _fmt(le: float) -> str:
    return f"{le:g}"


class Exporter:
    STATUSES = (200, 503)

    def __init__(self, versions: Sequence[str]) -> None:
        self.versions = tuple(versions)
        self._batches = {v: Batch(()) for v in self.versions}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def emit(self, batches: dict[str, Batch]) -> None:
        with self._lock:
            self._batches.update(batches)

    def render(self) -> str:
        with self._lock:
            batches = dict(self._batches)
        lines = [
            "# TYPE http_requests_total counter",
            "# TYPE http_request_duration_seconds histogram",
            "# TYPE istio_requests_total counter",
            "# TYPE istio_request_duration_milliseconds histogram",
        ]
        for version, batch in batches.items():
            app = f'app="shop",version="{version}"'
            for status in self.STATUSES:
                lines.append(f'http_requests_total{{{app},status="{status}"}} {batch.by_status(status)}')
            for le, count in zip(DEFAULT_LE_BOUNDS + (float("inf"),), batch.cumulative(DEFAULT_LE_BOUNDS)):
                le_text = "+Inf" if le == float("inf") else _fmt(le)
                lines.append(f'http_request_duration_seconds_bucket{{{app},le="{le_text}"}} {count:g}')
            lines.append(f"http_request_duration_seconds_sum{{{app}}} {sum(d for _, d in batch.requests):g}")
            lines.append(f"http_request_duration_seconds_count{{{app}}} {batch.n}")
            for reporter in ("destination", "source"):  # both proxies report each request
                mesh = (f'reporter="{reporter}",destination_workload="shop-{version}",'
                        f'destination_workload_namespace="shop"')
                for status in self.STATUSES:
                    lines.append(f'istio_requests_total{{{mesh},response_code="{status}"}} {batch.by_status(status)}')
                cumulative = batch.cumulative([ms / 1000 for ms in ISTIO_MS])
                for le, count in zip(ISTIO_MS + (float("inf"),), cumulative):
                    le_text = "+Inf" if le == float("inf") else _fmt(le)
                    lines.append(f'istio_request_duration_milliseconds_bucket{{{mesh},le="{le_text}"}} {count:g}')
                lines.append(f"istio_request_duration_milliseconds_count{{{mesh}}} {batch.n}")
        return "\n".join(lines) + "\n"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 — http.server's naming
                body = exporter.render().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
