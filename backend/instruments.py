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
