"""Read and write objects in moto's S3 in-process (what an AWS engine reads over S3's API).

The stand-in's engines run inside the server process, so they reach moto's S3 state
directly instead of going through HTTP (and never through DuckDB's httpfs, which would
need the internet). Buckets are global by name, as on AWS: the owning account is found
from moto's bucket registry.
"""

from __future__ import annotations

from dataclasses import dataclass


class NoSuchBucket(LookupError):
    """The bucket does not exist in any account."""


@dataclass(frozen=True)
class ObjectInfo:
    """One object of a listing."""

    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/part`` → ``("bucket", "key/part")``."""
    if not uri.lower().startswith("s3://"):
        raise ValueError(f"not an s3:// location: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri!r}")
    return bucket, key


def _backend(bucket: str):  # type: ignore[no-untyped-def]
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise NoSuchBucket(f"The specified bucket does not exist: {bucket}")
    partition, account_id = owner
    return s3_backends[account_id][partition]


def bucket_owner(bucket: str) -> str:
    """The account that owns ``bucket`` (raises :class:`NoSuchBucket`)."""
    from moto.s3.models import s3_backends

    owner = s3_backends.bucket_accounts.get(bucket)
    if owner is None:
        raise NoSuchBucket(f"The specified bucket does not exist: {bucket}")
    return owner[1]


def _live_key(bucket_obj, name: str):  # type: ignore[no-untyped-def]
    from moto.s3.models import FakeKey

    key = bucket_obj.keys.get(name)
    return key if isinstance(key, FakeKey) else None


def list_objects(bucket: str, prefix: str = "") -> list[ObjectInfo]:
    """Every current object under ``prefix``, sorted by key (like ListObjectsV2 without a delimiter)."""
    store = _backend(bucket).get_bucket(bucket)
    found = []
    for name in list(store.keys.keys()):
        if name.startswith(prefix):
            key = _live_key(store, name)
            if key is not None:
                found.append(ObjectInfo(bucket, name, key.size))
    return sorted(found, key=lambda o: o.key)


def read_object(bucket: str, key: str) -> bytes:
    """The object's bytes (one copy out of moto's spooled buffer)."""
    store = _backend(bucket).get_bucket(bucket)
    found = _live_key(store, key)
    if found is None:
        raise KeyError(f"s3://{bucket}/{key}")
    return found.value


def put_object(bucket: str, key: str, data: bytes) -> None:
    """Store ``data`` at ``s3://bucket/key`` in the bucket owner's account (a PutObject)."""
    _backend(bucket).put_object(bucket_name=bucket, key_name=key, value=data)


def delete_object(bucket: str, key: str) -> None:
    """Delete one object; absent objects are fine, as with DeleteObject."""
    backend = _backend(bucket)
    if _live_key(backend.get_bucket(bucket), key) is not None:
        backend.delete_object(bucket, key)


def bucket_exists(bucket: str) -> bool:
    from moto.s3.models import s3_backends

    return bucket in s3_backends.bucket_accounts
