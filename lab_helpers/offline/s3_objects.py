"""Read and write objects in moto's S3 in-process (what an AWS engine reads over S3's API).

The stand-in's engines run inside the server process, so they reach moto's S3 state
directly instead of going through HTTP (and never through DuckDB's httpfs, which would
need the internet). Buckets are global by name, as on AWS: the owning account is found
from moto's bucket registry. Bytes move between moto's object buffers (memory up to
moto's key buffer size, then a temporary file) and local files in chunks, never a whole
object in memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path


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


# ---------------------------------------------------------------- local file mirror
#: Most bytes the mirror keeps on disk before evicting the least recently used files.
MIRROR_LIMIT = 4 << 30
#: Bytes copied at a time between moto's object buffers and local files.
CHUNK = 1 << 20
_mirror: "OrderedDict[tuple[str, str], tuple[weakref.ref, Path, int]]" = OrderedDict()
_mirror_lock = threading.RLock()


def mirror_dir() -> Path:
    """Folder of the local mirror files."""
    from .paths import data_dir

    folder = data_dir() / "s3-mirror"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _remember(bucket: str, key: str, fake, path: Path, size: int) -> None:  # type: ignore[no-untyped-def]
    with _mirror_lock:
        old = _mirror.pop((bucket, key), None)
        if old is not None and old[1] != path:
            old[1].unlink(missing_ok=True)
        _mirror[(bucket, key)] = (weakref.ref(fake), path, size)
        total = sum(entry[2] for entry in _mirror.values())
        while total > MIRROR_LIMIT and len(_mirror) > 1:
            _, (_, stale, stale_size) = _mirror.popitem(last=False)
            stale.unlink(missing_ok=True)
            total -= stale_size


def local_file(bucket: str, key: str) -> Path:
    """A local file with the object's current bytes (for engines that read files, like DuckDB).

    Files are cached per moto key object: an overwritten or deleted object is never served
    from a stale copy, because moto makes a new key object on every PutObject. The bytes
    are copied in chunks, never whole in memory.
    """
    store = _backend(bucket).get_bucket(bucket)
    fake = _live_key(store, key)
    if fake is None:
        raise KeyError(f"s3://{bucket}/{key}")
    with _mirror_lock:  # one copy per object even when queries miss at the same time
        entry = _mirror.get((bucket, key))
        if entry is not None and entry[0]() is fake and entry[1].exists():
            _mirror.move_to_end((bucket, key))
            return entry[1]
        fd, name = _tempfile(mirror_dir())
        with os.fdopen(fd, "wb") as handle, fake.lock:
            fake._value_buffer.seek(0)
            shutil.copyfileobj(fake._value_buffer, handle, CHUNK)
        path = Path(name)
        _remember(bucket, key, fake, path, fake.size)
        return path


def put_file(bucket: str, key: str, path: str | Path) -> None:
    """PutObject of a local file without copying its bytes: the file is moved to the mirror and
    moto's key reads it there (its value buffer is that file, where moto would use a temporary one)."""
    from moto.s3 import notifications

    fd, name = _tempfile(mirror_dir())
    os.close(fd)
    shutil.move(str(path), name)
    handle = open(name, "r+b")  # noqa: SIM115 - closed by moto when the key is disposed
    size = os.fstat(handle.fileno()).st_size
    backend = _backend(bucket)
    fake = backend.put_object(bucket_name=bucket, key_name=key, value=b"", disable_notification=True)
    with fake.lock:
        empty, fake._value_buffer = fake._value_buffer, handle
        fake.contentsize, fake._etag = size, None
    empty.close()
    notifications.send_event(backend.account_id, notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT, backend.get_bucket(bucket), fake)
    _remember(bucket, key, fake, Path(name), size)


def _tempfile(folder: Path) -> tuple[int, str]:
    return tempfile.mkstemp(dir=folder, suffix=".obj")
