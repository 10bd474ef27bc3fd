"""The app's own Prometheus instruments, defined once so any layer can count without importing the metrics endpoint.

``backend.metrics`` exposes them (with request metrics and what the database knows) on ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PHOTO_SECONDS = Histogram(
    "suishoupai_photo_processing_seconds", "Decoding, checking and resizing one photo (waiting for the decode budget "
    "included)", buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
CLASSIFY_SECONDS = Histogram(
    "suishoupai_classification_seconds", "The text classifier's call for one case",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0))
SWEPT = Counter("suishoupai_sweeper_removed", "What the sweeper removed, by kind", ["kind"])
# Sum over live processes: each process's hub counts its own connections.
WEBSOCKETS = Gauge("suishoupai_websocket_connections", "Open websocket connections", multiprocess_mode="livesum")
# SQLite's one writer (the embedded default): how long this process's writers wait for their turn and hold it, by
# queue ("first": the job workers', ahead of the rest; "rest": requests and loops). The capacity of one process is
# about one second of holding per second: when the waits grow, the writer is the bottleneck (docs/benchmarks.md).
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DB_WRITE_WAIT = Histogram("suishoupai_db_write_wait_seconds", "Waiting for this process's turn at SQLite's writer",
                          ["queue"], buckets=WRITE_BUCKETS)
DB_WRITE_HOLD = Histogram("suishoupai_db_write_hold_seconds", "A write transaction holding SQLite's writer",
                          ["queue"], buckets=WRITE_BUCKETS)
