"""Fixtures for the photo tests: sample files and both object stores (local and a loopback S3 server)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from backend.photos.local import LocalStore
from backend.photos.s3 import S3Store
from backend.photos.store import ObjectStore

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "media" / "samples"
REFERENCE = Path("/work/shared/reference/photos")
ACCESS_KEY, SECRET_KEY = "testaccess", "testsecret123"


def sample(relative: str) -> bytes:
    return (SAMPLES / relative).read_bytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"S3 test server did not open port {port}")


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real ``minio`` binary when one is on PATH, else moto's S3 server, on a free loopback port."""
    port = _free_port()
    binary = shutil.which("minio")
    if binary:
        data = tempfile.mkdtemp(prefix="minio-test-")
        env = {**os.environ, "MINIO_ROOT_USER": ACCESS_KEY, "MINIO_ROOT_PASSWORD": SECRET_KEY}
        proc = subprocess.Popen(
            [binary, "server", data, "--address", f"127.0.0.1:{port}", "--console-address", f"127.0.0.1:{_free_port()}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            _wait_for_port(port)
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            shutil.rmtree(data, ignore_errors=True)
        return
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        _wait_for_port(port)
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def make_s3_store(endpoint: str, bucket: str | None = None) -> S3Store:
    return S3Store(endpoint, ACCESS_KEY, SECRET_KEY, bucket or f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStore]:
    """Each store test runs once against the local store and once against S3."""
    if request.param == "local":
        instance: ObjectStore = LocalStore(tmp_path / "objects", "test-secret")
    else:
        instance = make_s3_store(request.getfixturevalue("s3_endpoint"))
    await instance.ensure_ready()
    yield instance
