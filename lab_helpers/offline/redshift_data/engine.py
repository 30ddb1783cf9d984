"""The DuckDB side: one database file per (account, Region, cluster or workgroup, database).

DuckDB refuses to open one file twice in a process ("Unique file handle conflict"), so
the stand-in keeps a single in-memory DuckDB instance (the hub) and ATTACHes every
database file once, under an alias derived from its location. Statements run on cursors
of that instance under one lock. A datashare-like exposure is a view in the consumer's
file over the producer's alias; because every file under ``data_dir()/redshift`` is
attached when the hub opens, such views resolve after a restart too. Isolation between
accounts comes from :mod:`.translate`, which qualifies every relation with the alias of
the connected database and refuses anything that could reach another file.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from ..paths import data_dir

DEFAULT_SCHEMA = "public"
_SAFE = re.compile(r"[^a-z0-9_-]")


class EngineError(Exception):
    """A statement failed; the message is what Redshift would report."""


class DatabaseNotFound(EngineError):
    """The database does not exist in the cluster or workgroup."""


def _component(value: str) -> str:
    """A path component for ``value``: readable, and unique even when sanitised."""
    clean = _SAFE.sub("_", value.lower())
    if clean != value.lower() or not clean:
        clean = f"{clean}_{hashlib.sha1(value.encode()).hexdigest()[:8]}"
    return clean


@dataclass(frozen=True)
class Location:
    """A Redshift database: ``database`` of cluster/workgroup ``store`` in an account's Region."""

    account_id: str
    region: str
    store: str
    database: str

    def __post_init__(self) -> None:
        # Redshift folds unquoted database names to lower case.
        object.__setattr__(self, "database", self.database.lower())

    @property
    def path(self) -> Path:
        return root() / self.account_id / self.region / _component(self.store) / f"{_component(self.database)}.duckdb"

    @property
    def alias(self) -> str:
        digest = hashlib.sha1(f"{self.account_id}|{self.region}|{self.store}|{self.database}".encode()).hexdigest()
        return f"rs_{digest[:16]}"

    def sibling(self, database: str) -> "Location":
        """Another database of the same cluster or workgroup."""
        return Location(self.account_id, self.region, self.store, database)


def root() -> Path:
    """Where the Redshift database files live."""
    return data_dir() / "redshift"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _location_of(path: Path) -> Location | None:
    """The location recorded next to a database file when it was created."""
    try:
        fields = json.loads(_sidecar(path).read_text())
        return Location(fields["account_id"], fields["region"], fields["store"], fields["database"])
    except (OSError, ValueError, KeyError):
        return None


class Hub:
    """The process's single DuckDB instance with every database file attached once."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._root: Path | None = None
        self._attached: dict[str, Location] = {}

    def _connection(self) -> duckdb.DuckDBPyConnection:
        current = root()
        if self._con is None or self._root != current:
            if self._con is not None:
                self._con.close()
            current.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(":memory:")
            # Redshift (like PostgreSQL) divides integers as integers.
            con.execute("SET GLOBAL integer_division = true")
            # No file, extension or Python-variable access from SQL: only the database files.
            con.execute("SET GLOBAL allowed_directories = [?]", [current.as_posix() + "/"])
            con.execute("SET GLOBAL enable_external_access = false")
            con.execute("SET GLOBAL python_enable_replacements = false")
            con.execute("SET GLOBAL autoinstall_known_extensions = false")
            con.execute("SET GLOBAL lock_configuration = true")
            self._con, self._root, self._attached = con, current, {}
            for path in sorted(current.glob("*/*/*/*.duckdb")):
                location = _location_of(path)
                if location is not None and location.path == path:
                    try:
                        self._attach(location)
                    except duckdb.Error as exc:  # e.g. held by another process: fail when used
                        warnings.warn(f"cannot attach {path}: {exc}", RuntimeWarning, stacklevel=2)
        return self._con

    def _attach(self, location: Location) -> None:
        assert self._con is not None
        location.path.parent.mkdir(parents=True, exist_ok=True)
        sidecar = _sidecar(location.path)
        if not sidecar.exists():
            sidecar.write_text(json.dumps(asdict(location)))
        self._con.execute(f"ATTACH '{location.path.as_posix()}' AS {location.alias}")
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {location.alias}.{DEFAULT_SCHEMA}")
        self._attached[location.alias] = location

    def exists(self, location: Location) -> bool:
        with self.lock:
            self._connection()
            return location.alias in self._attached

    def ensure(self, location: Location) -> str:
        """Create (if needed) and attach the database; return its alias."""
        with self.lock:
            self._connection()
            if location.alias not in self._attached:
                self._attach(location)
            return location.alias

    def drop(self, account_id: str, region: str, store: str | None = None) -> list[str]:
        """Detach and delete the databases of a deleted cluster (or of every store on reset)."""
        dropped = []
        with self.lock:
            con = self._connection()
            for alias, loc in list(self._attached.items()):
                if (loc.account_id, loc.region) != (account_id, region) or store not in (None, loc.store):
                    continue
                con.execute(f"DETACH {alias}")
                del self._attached[alias]
                for path in (loc.path, _sidecar(loc.path), loc.path.with_name(loc.path.name + ".wal")):
                    path.unlink(missing_ok=True)
                dropped.append(loc.database)
        return dropped

    def databases(self, account_id: str, region: str, store: str) -> list[str]:
        """Databases of one cluster or workgroup."""
        with self.lock:
            self._connection()
            return sorted(
                loc.database
                for loc in self._attached.values()
                if (loc.account_id, loc.region, loc.store) == (account_id, region, store)
            )

    @contextmanager
    def cursor(self, location: Location) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh session on ``location`` (like a new Redshift connection), holding the lock."""
        with self.lock:
            con = self._connection()
            if location.alias not in self._attached:
                raise DatabaseNotFound(f'FATAL: database "{location.database}" does not exist')
            cur = con.cursor()
            try:
                cur.execute(f"USE {location.alias}")
                yield cur
            finally:
                cur.close()


HUB = Hub()


def redshift_type(duckdb_type: str) -> tuple[str, int, int]:
    """Redshift type name, precision and scale for a DuckDB type string."""
    text = duckdb_type.upper()
    match = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", text)
    if match:
        return "numeric", int(match.group(1)), int(match.group(2))
    simple = {
        "BIGINT": ("int8", 19, 0),
        "INTEGER": ("int4", 10, 0),
        "SMALLINT": ("int2", 5, 0),
        "TINYINT": ("int2", 5, 0),
        "UBIGINT": ("numeric", 20, 0),
        "UINTEGER": ("int8", 19, 0),
        "USMALLINT": ("int4", 10, 0),
        "UTINYINT": ("int2", 5, 0),
        "HUGEINT": ("numeric", 38, 0),
        "DOUBLE": ("float8", 17, 17),
        "FLOAT": ("float4", 8, 8),
        "BOOLEAN": ("bool", 1, 0),
        "VARCHAR": ("varchar", 65535, 0),
        "DATE": ("date", 13, 0),
        "TIMESTAMP": ("timestamp", 29, 6),
        "TIMESTAMP WITH TIME ZONE": ("timestamptz", 35, 6),
        "TIME": ("time", 15, 6),
        "TIME WITH TIME ZONE": ("timetz", 21, 6),
        "BLOB": ("varbyte", 64000, 0),
        "INTERVAL": ("interval", 49, 6),
    }
    if text in simple:
        return simple[text]
    if text.startswith("TIMESTAMP"):
        return "timestamp", 29, 6
    if text.startswith(("STRUCT", "MAP", "JSON")) or text.endswith("[]"):
        return "super", 4194304, 0
    return "varchar", 65535, 0


def redshift_type_text(duckdb_type: str) -> str:
    """The column type as Redshift's catalog spells it (``numeric(10,2)``, ``int8``, ...)."""
    name, precision, scale = redshift_type(duckdb_type)
    return f"numeric({precision},{scale})" if name == "numeric" else name
