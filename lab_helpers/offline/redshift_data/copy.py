"""Redshift ``COPY … FROM 's3://…'``: read moto's S3 objects in-process into Arrow.

Like Redshift, the FROM location is a key prefix: every object whose key starts with it
is loaded (or, with ``MANIFEST``, the files the manifest lists). Columns map by
position; DuckDB casts each value to the target column's type, so bad data fails the
statement instead of loading wrong values. The caller's account resolves the bucket; a
bucket of another account is reachable as moto's (and S3's) bucket names are global.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .engine import EngineError
from .translate import CopyFrom


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[5:].partition("/")
    if not bucket:
        raise EngineError(f"ERROR: invalid S3 location '{uri}'")
    return bucket, key


def _bucket(account_id: str, name: str):  # type: ignore[no-untyped-def]
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    try:
        return s3_backends[account_id]["aws"].get_bucket(name)
    except MissingBucket as exc:
        raise EngineError(f"ERROR: S3ServiceException:The specified bucket does not exist,Status 404,Bucket {name}") from exc


def _objects(account_id: str, uri: str) -> list[tuple[str, bytes]]:
    from moto.s3.models import FakeKey

    bucket_name, prefix = _split(uri)
    bucket = _bucket(account_id, bucket_name)
    found = []
    for name in sorted(bucket.keys.keys()):
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        key = bucket.keys.get(name)
        if isinstance(key, FakeKey) and key.size > 0:
            found.append((name, key.value))
    return found


def _manifest_objects(account_id: str, uri: str) -> list[tuple[str, bytes]]:
    listed = _objects(account_id, uri)
    exact = [body for name, body in listed if f"s3://{_split(uri)[0]}/{name}" == uri]
    if not exact:
        raise EngineError(f"ERROR: Manifest file is not found: {uri}")
    found = []
    for entry in json.loads(exact[0])["entries"]:
        objects = [o for o in _objects(account_id, entry["url"]) if f"s3://{_split(entry['url'])[0]}/{o[0]}" == entry["url"]]
        if not objects and entry.get("mandatory"):
            raise EngineError(f"ERROR: Manifest file entry not found: {entry['url']}")
        found.extend(objects)
    return found


def check_role(account_id: str, region: str, store: str, copy: CopyFrom) -> None:
    """A cluster may only assume an IAM role associated with it (``IamRoles``), as on AWS.

    ``IAM_ROLE default`` needs at least one associated role (moto has no default-role
    setting). Serverless workgroups are not modelled by moto, so their roles are not checked.
    """
    role = copy.options.get("IAM_ROLE")
    if role is None:
        return
    from moto.redshift.models import redshift_backends

    cluster = redshift_backends[account_id][region].clusters.get(store)
    if cluster is None:
        return
    associated = list(cluster.iam_roles_arn or [])
    if role.lower() == "default":
        if not associated:
            raise EngineError(f"ERROR: IAM_ROLE default: no IAM role is associated with cluster {store}")
        return
    if role not in associated:
        user = f"arn:aws:redshift:{region}:{account_id}:dbuser:{store}/{cluster.master_username}"
        raise EngineError(f"ERROR: User {user} is not authorized to assume IAM Role {role}")


def read_source(account_id: str, copy: CopyFrom) -> pa.Table:
    """The rows COPY loads, as an Arrow table whose columns map to the target by position."""
    objects = _manifest_objects(account_id, copy.uri) if copy.manifest else _objects(account_id, copy.uri)
    if not objects:
        raise EngineError(f"ERROR: The specified S3 prefix '{_split(copy.uri)[1]}' does not exist")
    tables = []
    for name, body in objects:
        try:
            tables.append(_read_one(body, copy))
        except (pa.ArrowInvalid, ValueError) as exc:
            raise EngineError(f"ERROR: Load into table failed reading s3://{_split(copy.uri)[0]}/{name}: {exc}") from exc
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowInvalid as exc:
        raise EngineError(f"ERROR: files under {copy.uri} do not share one layout: {exc}") from exc


def _read_one(body: bytes, copy: CopyFrom) -> pa.Table:
    if copy.format == "PARQUET":
        return pq.read_table(io.BytesIO(body))
    delimiter = copy.delimiter or ("," if copy.format == "CSV" else "|")
    read = pacsv.ReadOptions(skip_rows=copy.ignore_header, autogenerate_column_names=True)
    # CSV: a field in quote characters (default ") may hold delimiters and newlines; a quote inside is doubled.
    quote = copy.options.get("QUOTE", '"') if copy.format == "CSV" else False
    parse = pacsv.ParseOptions(delimiter=delimiter, quote_char=quote, double_quote=True, newlines_in_values=bool(quote))
    width = len(pacsv.read_csv(io.BytesIO(body), read_options=read, parse_options=parse).schema)
    # Everything as text: DuckDB casts to the target column types on insert.
    convert = pacsv.ConvertOptions(
        column_types={f"f{i}": pa.string() for i in range(width)},
        strings_can_be_null=True,
        null_values=_nulls(copy),
    )
    return pacsv.read_csv(io.BytesIO(body), read_options=read, parse_options=parse, convert_options=convert)


def _nulls(copy: CopyFrom) -> list[str]:
    nulls = [""]
    if copy.null_as is not None:
        nulls.append(copy.null_as)
    elif copy.format == "TEXT":
        nulls.append("\\N")
    return nulls
