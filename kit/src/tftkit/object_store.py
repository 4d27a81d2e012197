"""Object storage behind one interface: a local folder (default) or S3 (boto3).

Keys are relative paths such as `products/123.png`. `url_for` gives the URL a browser
loads: for the local folder that is the gateway's `/media/` route, for S3 the public
base URL of the bucket.
"""

import asyncio
import os
from pathlib import Path, PurePosixPath
from typing import Protocol

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...
    async def get(self, key: str) -> bytes | None: ...
    async def exists(self, key: str) -> bool: ...
    async def delete(self, key: str) -> None: ...
    def url_for(self, key: str) -> str: ...


class ObjectStoreSettings(BaseSettings):
    """Where objects go; S3 is used when `S3_BUCKET` is set, the folder otherwise.

    The variables carry no service prefix: every service that stores objects reads the same ones.
    """

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    local_dir: str = Field("var/objects", validation_alias="OBJECT_STORE_DIR")
    public_base_url: str = Field("http://127.0.0.1:8000/media", validation_alias="MEDIA_BASE_URL")
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    s3_timeout_seconds: float = 10.0


# Keys under this prefix hold a person's private objects (their photos, try-on results): never
# served by a public URL or a listing; only the service that owns them hands them out.
PRIVATE_PREFIX = "private/"


def is_private(key: str) -> bool:
    return key.startswith(PRIVATE_PREFIX)


def safe_key(key: str) -> str:
    """Rejects keys that could escape the store (absolute paths, `..`)."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ValueError(f"invalid object key: {key!r}")
    return str(path)


class LocalObjectStore:
    """Objects as files under one folder; writes are atomic (temp file + rename)."""

    def __init__(self, root: str | Path, public_base_url: str) -> None:
        self._root = Path(root).resolve()
        self._base = public_base_url.rstrip("/")

    def path_for(self, key: str) -> Path:
        return self._root / safe_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path_for(key), data)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    async def get(self, key: str) -> bytes | None:
        path = self.path_for(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    async def delete(self, key: str) -> None:
        """Removes the object; nothing happens when there is none."""
        await asyncio.to_thread(self.path_for(key).unlink, missing_ok=True)

    def url_for(self, key: str) -> str:
        return f"{self._base}/{safe_key(key)}"


class S3ObjectStore:
    """Objects in an S3 bucket (AWS, MinIO, any S3-compatible server)."""

    def __init__(self, settings: ObjectStoreSettings) -> None:
        import boto3
        from botocore.config import Config

        self._bucket = settings.s3_bucket
        self._base = settings.public_base_url.rstrip("/")
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            config=Config(
                connect_timeout=settings.s3_timeout_seconds,
                read_timeout=settings.s3_timeout_seconds,
                retries={"max_attempts": 2},
            ),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object,
            Bucket=self._bucket,
            Key=safe_key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes | None:
        try:
            response = await asyncio.to_thread(
                self._client.get_object, Bucket=self._bucket, Key=safe_key(key)
            )
        except self._client.exceptions.NoSuchKey:
            return None
        return await asyncio.to_thread(response["Body"].read)

    async def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            await asyncio.to_thread(
                self._client.head_object, Bucket=self._bucket, Key=safe_key(key)
            )
        except ClientError:
            return False
        return True

    async def delete(self, key: str) -> None:
        """Removes the object; S3 answers success when there is none."""
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket, Key=safe_key(key))

    def url_for(self, key: str) -> str:
        return f"{self._base}/{safe_key(key)}"


def build_object_store(settings: ObjectStoreSettings) -> ObjectStore:
    """The S3 store when a bucket is configured, the local folder otherwise."""
    if settings.s3_bucket:
        return S3ObjectStore(settings)
    return LocalObjectStore(settings.local_dir, settings.public_base_url)
