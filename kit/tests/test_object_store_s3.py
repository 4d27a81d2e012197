"""The S3 object store through the real boto3 client against a local S3-compatible server (moto
in server mode, a real HTTP server on a free port): objects go in and come back, a missing one
is None, private keys are not readable without credentials while the public prefix is (the
bucket policy compose's MinIO gets), and deleted objects are gone."""

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from tftkit.object_store import (
    PRIVATE_PREFIX,
    ObjectStoreSettings,
    S3ObjectStore,
    build_object_store,
)

CREDENTIALS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def store(s3_endpoint: str) -> S3ObjectStore:
    bucket = f"tft-test-{uuid.uuid4().hex[:12]}"
    admin = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    admin.create_bucket(Bucket=bucket)
    # As docker-compose sets MinIO up: catalog pictures readable by anyone, nothing else.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/products/*",
            }
        ],
    }
    admin.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    settings = ObjectStoreSettings(
        s3_endpoint=s3_endpoint,
        s3_bucket=bucket,
        s3_access_key_id=CREDENTIALS["aws_access_key_id"],
        s3_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        MEDIA_BASE_URL=f"{s3_endpoint}/{bucket}",
    )
    built = build_object_store(settings)
    assert isinstance(built, S3ObjectStore)
    return built


async def test_put_get_exists_and_delete(store: S3ObjectStore) -> None:
    key = f"{PRIVATE_PREFIX}uploads/abc.png"
    assert await store.get(key) is None and not await store.exists(key)
    await store.put(key, b"\x89PNG picture", "image/png")
    assert await store.get(key) == b"\x89PNG picture"
    assert await store.exists(key)
    await store.delete(key)
    assert await store.get(key) is None and not await store.exists(key)
    # Deleting what is not there is no error (a cleanup may run twice).
    await store.delete(key)


async def test_private_objects_are_not_public(store: S3ObjectStore) -> None:
    private = f"{PRIVATE_PREFIX}uploads/mine.jpg"
    public = "products/1.png"
    await store.put(private, b"a person's photo", "image/jpeg")
    await store.put(public, b"a catalog picture", "image/png")
    async with httpx.AsyncClient(timeout=10) as anonymous:
        shown = await anonymous.get(store.url_for(public))
        hidden = await anonymous.get(store.url_for(private))
    assert shown.status_code == 200 and shown.content == b"a catalog picture"
    assert shown.headers["content-type"] == "image/png"
    assert hidden.status_code == 403 and b"a person's photo" not in hidden.content
    # Its owner's service still reads it with the store's credentials.
    assert await store.get(private) == b"a person's photo"


async def test_keys_that_escape_are_refused_before_any_request(store: S3ObjectStore) -> None:
    for key in ("../other-bucket/x", "/absolute", ""):
        with pytest.raises(ValueError):
            await store.put(key, b"x", "image/png")
        with pytest.raises(ValueError):
            await store.delete(key)
