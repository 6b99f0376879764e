"""The encrypted store: raw log, six memory types, provenance, history, settings, full-text index.

One SQLCipher file keyed with the raw data key. Every public method is thread-safe (one lock);
writes happen in explicit transactions, so a crash leaves every committed row intact.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from memory import _sqlcipher as sc
from memory.dialogue import question_answered
from memory.errors import DatabaseDamaged, DatabaseEmpty, ReadOnlyStore, StoreError, ValidationError
from memory.frames import DiskFull
from memory.grams import COMPOUND, index_terms, joined, query_terms
from memory.models import (
    MEMORY_CLASSES,
    SENSITIVITIES,
    CoreBlock,
    ForgetReport,
    HistoryEntry,
    Memory,
    MemoryType,
    NewObservation,
    Observation,
    StoreCounts,
    VaultEntry,
    checked_time,
    clamped_time,
    content_fields,
    parse_memory_id,
    utc,
)
from memory.schema import (
    COMPOUND_MIGRATION,
    CONTEXT_MIGRATION,
    FTS_TOKENIZE,
    GRAMS_MIGRATION,
    MIGRATIONS,
    column_kind,
    memory_fts,
    memory_table,
)

MAX_FIELD_CHARS = 20_000  # one memory field; observations may be much longer
_TOKEN = re.compile(r"\w+", re.UNICODE)


def ts(dt: datetime) -> str:
    """The stored form of a time: UTC ISO-8601 with microseconds, so text order is time order."""
    return utc(dt).isoformat(timespec="microseconds")


def from_ts(text: str) -> datetime:
    """A stored time. One stored before times were range-checked (year 1, 9999) is read as the
    nearest time Engram keeps, so that showing it in local time cannot overflow."""
    return clamped_time(datetime.fromisoformat(text))


def now() -> datetime:
    return datetime.now(UTC)


def clean_text(text: str) -> str:
    """Text safe to store: no NUL bytes, no lone surrogates (from undecodable input)."""
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


# BM25 over the observations' columns: text, title, app, and the question a reply answers.
_OBS_RANK = "bm25(observations_fts, 1.0, 0.3, 0.2, 0.6)"
COMMON_SHARE = 0.05  # a query word in more of a table's rows than this is left out of its search
COMMON_FROM_ROWS = 2000  # ... in tables at least this big (below, every word is cheap)


def query_words(text: str) -> list[str]:
    """The distinct words of a full-text query, lower-cased, at most 64; a hyphenated word also
    in one piece ("e-mail": "e", "mail", "email"), as pages that write it so are indexed."""
    words = [w.lower() for w in _TOKEN.findall(text)] + [joined(c) for c in COMPOUND.findall(text)]
    return list(dict.fromkeys(words))[:64]


def fts_query(words: Sequence[str]) -> str | None:
    """A safe FTS5 query matching any of `words` (each quoted: no FTS syntax gets through)."""
    return " OR ".join(f'"{w}"' for w in words) or None


USERS_SUFFIX = "-users"  # beside the database: a lock each process that has it open shares
DAMAGE_MARKER = ".damaged"  # beside the database: it was found damaged; no more writes into it


def damage_marker(path: Path) -> Path:
    return path.with_name(path.name + DAMAGE_MARKER)


def _damage_text(path: Path, detail: str) -> str:
    return (f"database {path} is damaged ({detail}); nothing more will be written to it. Save what is still "
            f"readable with 'engram export FILE', then restore it into a new data directory "
            f"('engram --data-dir NEW init', then 'engram --data-dir NEW restore FILE')")


def _translated(exc: Exception, path: Path) -> StoreError | None:
    """The one-line StoreError a SQLCipher error means for the user (damage, a full disk, a
    read-only place), or None for the others (a constraint, a busy database: callers handle them)."""
    text = str(exc)
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in text or "not a database" in text:
        return DatabaseDamaged(_damage_text(path, text))
    if code.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return DiskFull(_DISK_FULL.format(path=path))
    if code.startswith("SQLITE_READONLY") or "readonly database" in text:
        return ReadOnlyStore(_READ_ONLY.format(folder=path.parent))
    if (code.startswith("SQLITE_IOERR") or "disk I/O error" in text) and _disk_full(path):
        return DiskFull(_DISK_FULL.format(path=path))  # a -wal or -shm file that could not grow
    return None


_DISK_FULL = "the disk is full: nothing could be written to {path} (free some space, then try again)"
_READ_ONLY = ("{folder} is read-only: Engram can show what it holds but not change it (make the folder "
              "writable to import, capture or make memories)")


def _disk_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


class _Cursor(sc.Cursor):
    """A cursor whose damage, full-disk and read-only errors arrive as StoreErrors (see `_translated`),
    wherever in the store they happen; a damaged file is remembered by the connection."""

    def _fail(self, exc: Exception) -> StoreError | None:
        found = _translated(exc, self.connection.path)
        if isinstance(found, DatabaseDamaged):
            self.connection.damaged(found)
        return found

    def execute(self, *args):
        try:
            return super().execute(*args)
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc

    def executemany(self, *args):
        try:
            return super().executemany(*args)
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc

    def fetchone(self):
        try:
            return super().fetchone()
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc

    def fetchmany(self, *args):
        try:
            return super().fetchmany(*args)
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc

    def fetchall(self):
        try:
            return super().fetchall()
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc

    def __next__(self):
        try:
            return super().__next__()
        except sc.DatabaseError as exc:
            if (found := self._fail(exc)) is None:
                raise
            raise found from exc


class _Connection(sc.Connection):
    path: Path
    on_damage = None  # set by the store

    def cursor(self, factory=_Cursor):
        return super().cursor(factory)

    def damaged(self, error: DatabaseDamaged) -> None:
        if self.on_damage is not None:
            self.on_damage(error)


class _Users:
    """A shared OS lock every process holding the database open keeps on a file beside it
    (`engram.db-users`); whoever can take it exclusively is the only one. Released when a process
    ends, however it ends. Where there is no flock (Windows) nobody is ever known to be alone."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = None
        try:
            import fcntl
        except ImportError:
            return
        self._fcntl = fcntl
        with contextlib.suppress(OSError):
            self._fd = os.open(path.with_name(path.name + USERS_SUFFIX), os.O_RDWR | os.O_CREAT, 0o600)

    def only_one(self) -> bool:
        """Whether no other process holds it; afterwards this one holds it, shared."""
        if self._fd is None:
            return False
        try:
            self._fcntl.flock(self._fd, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        except OSError:  # a file system without locks: nobody is known to be alone
            return False
        with contextlib.suppress(OSError):
            self._fcntl.flock(self._fd, self._fcntl.LOCK_SH)
        return alone

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class MemoryStore:
    """The encrypted database. Open with `create` or `open`; close when done.

    `read_only`: the file or its folder cannot be written (reads work; a write is ReadOnlyStore).
    `damage`: why the file is known damaged (found now, or marked by an earlier run), else None;
    a damaged store refuses every write with DatabaseDamaged and reads what it still can."""

    def __init__(self, conn, path: Path, *, read_only: bool = False) -> None:
        self._conn = conn
        self.path = path
        self.read_only = read_only
        # why a write is refused, when it is (a read-only folder, or a full disk at opening)
        self.unwritable: StoreError = ReadOnlyStore(_READ_ONLY.format(folder=path.parent))
        self.damage: DatabaseDamaged | None = None
        self._users: _Users | None = None
        self._key = b""
        self._poisoned = False
        self.unreadable = 0  # ids a salvage could not read (see `readable_observations`)
        conn.on_damage = self._mark_damaged
        self.db = sc.sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self._stem_cache: dict[str, frozenset[str]] = {}
        self._vocabs: set[str] = set()  # in-memory helper tables made on this connection
        self._depth = 0

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, key: bytes) -> MemoryStore:
        """Create a new encrypted database at `path` (which must not exist)."""
        if path.exists():
            raise StoreError(f"{path} already exists; refusing to overwrite it")
        store = cls._connect(path, key)
        store._migrate()
        return store

    @classmethod
    def open(cls, path: Path, key: bytes, *, check: bool = False) -> MemoryStore:
        """Open an existing database; StoreError naming the file if it is missing, empty, damaged or
        unreadable. Never makes a new one in its place. `check`: run SQLite's quick_check first
        (it reads every page); a store found damaged, now or before, opens for reading only."""
        if not path.is_file():
            raise StoreError(f"database {path} is missing; Engram did not make a new one in its place. Restore "
                             f"your last archive with 'engram restore ARCHIVE'")
        if path.stat().st_size == 0:
            raise DatabaseEmpty(
                f"database {path} is empty (0 bytes): what it held is lost from this file, and Engram did not "
                f"make a new one in its place. Restore your last archive with 'engram restore ARCHIVE' "
                f"(the empty file is kept aside)")
        read_only = not (os.access(path.parent, os.W_OK) and os.access(path, os.W_OK))
        users = None if read_only else _Users(path)
        if users is not None and users.only_one():
            # No other Engram process has it open: a -wal file left with pages in it means the last
            # one did not close it (killed, power lost). Check every page before writing more.
            wal = path.with_name(path.name + "-wal")
            check = check or (wal.exists() and wal.stat().st_size > 0)
        try:
            try:
                store = cls._connect(path, key, read_only=read_only)
            except DiskFull as full:
                # What is stored can still be read; nothing can be written until there is room. (Pages
                # still in a -wal file need room for a -shm file to be read: without it, the file alone.)
                try:
                    store = cls._connect(path, key, read_only=True)
                except DiskFull:
                    store = cls._connect(path, key, read_only=True, immutable=True)
                store.unwritable = full
        except BaseException:
            if users is not None:
                users.close()
            raise
        store._users = users
        try:
            marker = damage_marker(path)
            if marker.exists():
                store.damage = DatabaseDamaged(_damage_text(
                    path, f"found damaged by an earlier run, as {marker.name} says; if the database has since "
                          f"been replaced by a sound copy, remove {marker.name}"))
            elif check:
                store.quick_check()
            if store.damage is None:
                store._migrate()
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def _connect(cls, path: Path, key: bytes, *, read_only: bool = False, immutable: bool = False) -> MemoryStore:
        if read_only:
            # A clean close removes the -wal and -shm files, and a read-only folder cannot hold new ones:
            # SQLite then reads the file as immutable (no one can change it there either).
            wal = path.with_name(path.name + "-wal")
            mode = "mode=ro" if wal.exists() and wal.stat().st_size and not immutable else "immutable=1"
            target = f"file:{urllib.parse.quote(str(path))}?{mode}"
        else:
            target = str(path)
        conn = sc.connect(target, check_same_thread=False, isolation_level=None, factory=_Connection,
                          uri=read_only)
        conn.path = path
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")  # a damaged page is told as one StoreError
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
            # The first read proves the key: a wrong key or a damaged file fails here, before
            # anything is written.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            if not read_only:
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
            # The gram index's triggers call this (memory.grams, schema migration 6).
            conn.create_function("engram_grams", 3, index_terms, deterministic=True)
            for pragma in ("synchronous = NORMAL", "foreign_keys = ON", "temp_store = MEMORY",
                           "secure_delete = ON", "busy_timeout = 10000"):
                conn.execute(f"PRAGMA {pragma}")
        except (DiskFull, ReadOnlyStore) as exc:
            conn.close()
            raise exc from None
        except (sc.DatabaseError, DatabaseDamaged) as exc:
            conn.close()
            detail = exc.__cause__ if isinstance(exc, DatabaseDamaged) else exc
            raise StoreError(
                f"database {path} cannot be opened: the key does not fit it or the file is "
                f"damaged ({detail})"
            ) from None
        store = cls(conn, path, read_only=read_only)
        store._key = key
        return store

    def _reconnect(self) -> None:
        """A new connection in place of this one. After a page fails its HMAC check, SQLCipher fails
        every later read of that connection; a salvage goes on with a fresh one."""
        with self._lock:
            fresh = type(self)._connect(self.path, self._key, read_only=self.read_only)
            old, self._conn, self.db = self._conn, fresh._conn, fresh.db
            self._conn.on_damage = self._mark_damaged
            fresh._conn = None
            self._vocabs.clear()
            with contextlib.suppress(sc.DatabaseError, StoreError):
                old.close()

    def quick_check(self) -> str | None:
        """SQLite's quick_check over every page (each page's HMAC is checked as it is read): None if
        the file is sound, else what is wrong (and the store is marked damaged)."""
        try:
            with self._lock:
                self._fresh()
                rows = [r[0] for r in self._conn.execute("PRAGMA quick_check")]
        except DatabaseDamaged as exc:
            return str(exc)
        if rows == ["ok"]:
            return None
        self._mark_damaged(DatabaseDamaged(_damage_text(self.path, "; ".join(rows[:3]))))
        return "; ".join(rows[:3])

    def _mark_damaged(self, error: DatabaseDamaged) -> None:
        """Remember that the file is damaged: here (writes are refused) and beside it, so that the
        next run (another command, the window) refuses them too without reading the damage again."""
        if self.damage is None:
            self.damage = error
        self._poisoned = True
        if not self.read_only:
            with contextlib.suppress(OSError):
                fd = os.open(damage_marker(self.path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(f"{now().isoformat()} {error.__cause__ or error}\n")

    def _migrate(self) -> None:
        if self.read_only:
            done = {r[0] for r in self._conn.execute("SELECT version FROM schema_migrations")}
            if len(done) < len(MIGRATIONS):
                raise ReadOnlyStore(f"{self.path.parent} is read-only, and the database needs an upgrade "
                                    "first: make the folder writable once")
            return
        with self.transaction():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in self._conn.execute("SELECT version FROM schema_migrations")}
            if done and max(done) > len(MIGRATIONS):
                raise StoreError(f"database {self.path} was written by a newer Engram")
            regram = False
            for version, (name, statements) in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                for sql in statements:
                    self._conn.execute(sql)
                if version == CONTEXT_MIGRATION and done:
                    self._fill_context()
                regram = regram or (version in (GRAMS_MIGRATION, COMPOUND_MIGRATION) and bool(done))
                self._conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, ts(now()))
                )
            if regram:  # memories stored before get the gram terms of this version, once
                self._reindex_memory_grams()

    def schema_version(self) -> int:
        return self._one("SELECT max(version) FROM schema_migrations") or 0

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            if not (self.read_only or self.damage):  # a checkpoint copies pages into the file
                with contextlib.suppress(sc.DatabaseError, StoreError):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
            self._conn = None
            if self._users is not None:
                self._users.close()

    def __enter__(self) -> MemoryStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions --------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all. Nests (inner blocks join the outer)."""
        with self._lock:
            if self._conn is None:
                raise StoreError("the store is closed")
            if self.damage is not None:
                raise DatabaseDamaged(str(self.damage))
            if self.read_only:
                raise type(self.unwritable)(str(self.unwritable))
            outer = self._depth == 0
            try:
                if outer:
                    self._conn.execute("BEGIN IMMEDIATE")
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                if outer:
                    self._conn.execute("COMMIT")
            except BaseException as exc:
                if outer and self._conn.in_transaction:
                    with contextlib.suppress(sc.DatabaseError, StoreError):
                        self._conn.execute("ROLLBACK")
                if isinstance(exc, sc.OperationalError):
                    raise StoreError(f"could not write to {self.path}: {exc}") from exc
                raise

    def _one(self, sql: str, params: Sequence = ()) -> object:
        with self._lock:
            self._fresh()
            row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _rows(self, sql: str, params: Sequence = ()) -> list[dict]:
        with self._lock:
            self._fresh()
            cur = self._conn.execute(sql, params)
            columns = [d[0] for d in cur.description or ()]
            return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]  # fetchall: no per-row Python

    def _fresh(self) -> None:
        """A new connection if the last one read a damaged page (SQLCipher fails every later read of
        it): what is still readable stays readable."""
        if self._poisoned and self._conn is not None:
            self._poisoned = False
            self._reconnect()

    # -- observations --------------------------------------------------------------------------
    def add_observations(self, items: Sequence[NewObservation]) -> list[int | None]:
        """Store observations in one transaction; returns their ids (None for one whose
        (source_kind, source_id) is already stored, which is skipped)."""
        ids: list[int | None] = []
        with self.transaction():
            rows = self._rows("SELECT text, app, title FROM observations ORDER BY id DESC LIMIT 1")
            before = SimpleNamespace(**rows[0]) if rows else None  # the line a new one may answer
            for o in items:
                o = dataclasses.replace(o, time=checked_time(o.time), app=clean_text(o.app),
                                        title=clean_text(o.title), url=clean_text(o.url),
                                        text=clean_text(o.text))
                cur = self._conn.execute(
                    "INSERT INTO observations (time, app, title, url, text, source_kind, "
                    "source_id, frame_id, context) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    (ts(o.time), o.app, o.title, o.url, o.text, o.source_kind, o.source_id, o.frame_id,
                     question_answered(before, o)),
                )
                ids.append(cur.lastrowid if cur.rowcount else None)
                if cur.rowcount:
                    before = o
        return ids

    def _fill_context(self) -> None:
        """Give every stored line the question it answers (once, for lines stored before it was kept)."""
        before = None
        updates = []
        for r in self._conn.execute("SELECT id, text, app, title FROM observations ORDER BY id"):
            line = SimpleNamespace(text=r[1], app=r[2], title=r[3])
            context = question_answered(before, line)
            if context:
                updates.append((context, r[0]))
            before = line
        self._conn.executemany("UPDATE observations SET context = ? WHERE id = ?", updates)

    def _reindex_memory_grams(self) -> None:
        """Give stored memories their gram terms in full text (once, for memories stored before)."""
        for kind in MemoryType:
            for memory in self._load(kind, "1 = 1", []):
                if index_terms(memory.text()):
                    number = parse_memory_id(memory.id)[1]
                    self._unindex(kind, number)
                    self._index(kind, number, memory)

    def observations(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        app: str | None = None,
        ids: Sequence[int] | None = None,
        pending: bool | None = None,
        processed: Sequence[int] | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[Observation]:
        """Observations matching every given filter, in time order. `processed` keeps those whose
        processing state is one of the values (0 pending, 1 done, 2+ failed passes; memory.managers)."""
        where, params = self._obs_filter(since=since, until=until, app=app, ids=ids)
        if pending is not None:
            where.append("processed = 0" if pending else "processed != 0")
        if processed is not None:
            where.append("processed IN (SELECT value FROM json_each(?))")
            params.append(json.dumps([int(p) for p in processed]))
        sql = "SELECT * FROM observations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY time {'DESC' if newest_first else 'ASC'}, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params += [limit, offset]
        return [_observation(r) for r in self._rows(sql, params)]

    @staticmethod
    def _obs_filter(*, since=None, until=None, app=None, ids=None, prefix="") -> tuple[list, list]:
        where, params = [], []
        if since is not None:
            where.append(f"{prefix}time >= ?")
            params.append(ts(clamped_time(since)))
        if until is not None:
            where.append(f"{prefix}time < ?")
            params.append(ts(clamped_time(until)))
        if app is not None:
            where.append(f"{prefix}app = ?")
            params.append(app)
        if ids is not None:
            where.append(f"{prefix}id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(ids)))
        return where, params

    def search_observations(
        self, query: str, k: int = 10, *, since=None, until=None, app=None
    ) -> list[tuple[Observation, float]]:
        """Full-text (BM25) search of the raw log by its words; higher score is better."""
        match = fts_query(self._selective(query_words(query), "observations_fts", "observations"))
        return self._search_index("observations_fts", _OBS_RANK, match, k, since=since, until=until, app=app)

    def search_observation_grams(
        self, query: str, k: int = 10, *, since=None, until=None, app=None
    ) -> list[tuple[Observation, float]]:
        """Full-text search of the raw log by what the word index cannot see (memory.grams):
        words inside Chinese, Japanese, Thai... text, and symbols such as emoji. [] for a
        query that has none."""
        match = fts_query(query_terms(query))
        return self._search_index("observations_grams", "bm25(observations_grams)", match, k,
                                  since=since, until=until, app=app)

    def _search_index(self, fts: str, rank: str, match: str | None, k: int, *, since, until, app
                      ) -> list[tuple[Observation, float]]:
        if match is None:
            return []
        where, params = self._obs_filter(since=since, until=until, app=app, prefix="o.")
        if not where:
            # Rank in the index alone, then load the k winners: joining every match to its row
            # before ranking costs 5x more at 100k observations.
            rows = self._rows(f"SELECT rowid, -{rank} AS score FROM {fts} WHERE {fts} MATCH ? "
                              f"ORDER BY {rank} LIMIT ?", [match, k])
            score = {r["rowid"]: r["score"] for r in rows}
            found = self.observations(ids=list(score)) if score else []
            return sorted(((o, score[o.id]) for o in found), key=lambda pair: -pair[1])
        if since is not None or until is not None:
            # BM25 scores every match before the time filter; the ids seen in the span (ids
            # follow time closely) bound the match itself: 3x less CPU for "on 1 February".
            time_where, time_params = self._obs_filter(since=since, until=until)
            lo, hi = self._rows(f"SELECT min(id) AS lo, max(id) AS hi FROM observations "
                                f"WHERE {' AND '.join(time_where)}", time_params)[0].values()
            if lo is None:
                return []
            where.append(f"{fts}.rowid BETWEEN ? AND ?")
            params += [lo, hi]
        sql = (f"SELECT o.*, -{rank} AS score FROM {fts} JOIN observations o ON o.id = {fts}.rowid "
               f"WHERE {fts} MATCH ? AND {' AND '.join(where)} ORDER BY {rank} LIMIT ?")
        rows = self._rows(sql, [match, *params, k])
        return [(_observation(r), r["score"]) for r in rows]

    def neighbours(self, obs_id: int, side: str, n: int, *, app: str | None = None, title: str | None = None,
                   within: timedelta | None = None, skip_same_as: Observation | None = None,
                   scan: int = 200) -> list[Observation]:
        """Up to `n` observations just "before" or "after" observation `obs_id` in time (ties
        by id), nearest first, of `app` and window `title` when given, and no further away in
        time than `within`. Those showing the same thing as `skip_same_as` (the same text, or
        the same titled window) are passed over: the moment before a page is another page, not
        an earlier capture of it. At most `scan` rows are read."""
        row = self._rows("SELECT time FROM observations WHERE id = ?", [obs_id])
        if not row:
            return []
        t = row[0]["time"]
        if side == "before":
            where, order = "(time < ? OR (time = ? AND id < ?))", "time DESC, id DESC"
        else:
            where, order = "(time > ? OR (time = ? AND id > ?))", "time ASC, id ASC"
        params: list = [t, t, obs_id]
        for column, value in (("app", app), ("title", title)):
            if value is not None:
                where += f" AND {column} = ?"
                params.append(value)
        if within is not None:  # a bound on the rows read when few or none match the window
            where += " AND time >= ?" if side == "before" else " AND time <= ?"
            params.append(ts(clamped_time(from_ts(t) - within if side == "before" else from_ts(t) + within)))
        rows = self._rows(f"SELECT * FROM observations WHERE {where} ORDER BY {order} LIMIT ?", [*params, scan])
        found: list[Observation] = []
        for r in rows:
            o = _observation(r)
            if skip_same_as is not None and (o.text == skip_same_as.text or (
                    o.title and o.title == skip_same_as.title and o.app == skip_same_as.app)):
                continue
            found.append(o)
            if len(found) >= n:
                break
        return found

    def _selective(self, words: list[str], fts: str, table: str) -> list[str]:
        """`words` without those in more than COMMON_SHARE of a large table's rows (the rarest
        word stays). BM25 scores every row that matches any word, so one common word makes a
        query over 100k rows several times slower, while adding almost nothing to the ranking."""
        if len(words) < 2:
            return words
        with self._lock:
            rows = self._one(f"SELECT max(rowid) FROM {table}") or 0  # ids are never reused: an upper bound
            if rows < max(1, COMMON_FROM_ROWS):
                return words
            stems = self._stems(words)
            if fts not in self._vocabs:
                self._conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{fts}_vocab "
                                   f"USING fts5vocab(main, {fts}, 'row')")
                self._vocabs.add(fts)
            found = dict(self._conn.execute(
                f"SELECT term, doc FROM temp.{fts}_vocab WHERE term IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted({t for ts in stems.values() for t in ts}))]).fetchall())
        share = {w: max((found.get(t, 0) for t in stems.get(w, ())), default=0) / rows for w in words}
        keep = [w for w in words if share[w] <= COMMON_SHARE]
        return keep or [min(words, key=share.get)]

    def _stems(self, words: list[str]) -> dict[str, set[str]]:
        """What the full-text tokenizer makes of each word (its porter stems), asked of the
        tokenizer itself through an in-memory table, so the terms match the index's exactly."""
        new = [w for w in words if w not in self._stem_cache]
        if new:
            found = self._tokenize(new)
            for w in new:
                self._stem_cache[w] = frozenset(found.get(w, ()))
            while len(self._stem_cache) > 10_000:
                self._stem_cache.pop(next(iter(self._stem_cache)))
        return {w: self._stem_cache[w] for w in words}

    def _tokenize(self, words: list[str]) -> dict[str, set[str]]:
        if "stemmer" not in self._vocabs:
            self._conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stemmer "
                               f"USING fts5(t, tokenize='{FTS_TOKENIZE}')")
            self._conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.stemmer_terms "
                               "USING fts5vocab(temp, stemmer, 'instance')")
            self._vocabs.add("stemmer")
        self._conn.executemany("INSERT INTO temp.stemmer(rowid, t) VALUES (?, ?)", list(enumerate(words)))
        stems: dict[str, set[str]] = {}
        for term, doc in self._conn.execute("SELECT term, doc FROM temp.stemmer_terms"):
            stems.setdefault(words[doc], set()).add(term)
        self._conn.execute("DELETE FROM temp.stemmer")
        return stems

    # -- salvage (a damaged file) -----------------------------------------------------------------
    def readable_observations(self, chunk: int = 500) -> Iterator[list[Observation]]:
        """Every observation that can still be read, in id order, `chunk` ids at a time; ids on damaged
        pages are left out and counted in `self.unreadable`. For saving what survives of a damaged file."""
        top = self._top_id("observations")
        yield from self._salvage(
            lambda lo, hi: self._rows(f"SELECT * FROM observations WHERE {_id_range(lo, hi)}", [lo, hi]),
            top, chunk, _observation)

    def readable_memories(self, chunk: int = 500) -> list[Memory]:
        """Every memory that can still be read (see `readable_observations`)."""
        found: list[Memory] = []
        for kind in MemoryType:
            try:
                top = self._top_id(memory_table(kind))
            except DatabaseDamaged:
                self.unreadable += 1
                continue
            for page in self._salvage(lambda lo, hi, k=kind: self._load(k, _id_range(lo, hi), [lo, hi]),
                                      top, chunk, lambda m: m):
                found += page
        return found

    def _top_id(self, table: str) -> int:
        try:
            return self._one(f"SELECT max(id) FROM {table}") or 0
        except DatabaseDamaged:  # the table's last page: ids are handed out by sqlite_sequence
            return self._one("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]) or 0

    def _salvage(self, read, top: int, chunk: int, make) -> Iterator[list]:
        start = 1
        while start <= top:
            end = min(start + chunk, top + 1)
            yield [make(r) for r in self._readable(read, start, end)]
            start = end

    def _readable(self, read, lo: int, hi: int) -> list:
        """`read(lo, hi)`, split in halves around damaged pages down to single ids."""
        try:
            return read(lo, hi)
        except DatabaseDamaged:
            if hi - lo <= 1:
                self.unreadable += 1
                return []
            mid = (lo + hi) // 2
            return self._readable(read, lo, mid) + self._readable(read, mid, hi)

    def leading_tags(self, min_count: int = 2) -> dict[str, int]:
        """Short "Tag: " prefixes that start several observations (chat speakers, headers), counted."""
        rows = self._rows(
            "SELECT substr(text, 1, instr(text, ': ') - 1) AS tag, count(*) AS n FROM observations "
            "WHERE instr(text, ': ') BETWEEN 2 AND 32 GROUP BY tag HAVING n >= ?", [min_count])
        return {r["tag"]: r["n"] for r in rows}

    def mark_observations(self, ids: Sequence[int], status: int) -> None:
        """Set the processing status of observations: 0 pending, 1 done, 2 failed."""
        with self.transaction():
            self._conn.execute(
                "UPDATE observations SET processed = ? WHERE id IN (SELECT value FROM json_each(?))",
                (status, json.dumps(list(ids))),
            )

    def unlink_frames(self, frame_ids: Sequence[str], reason: str) -> int:
        """Drop the link from observations to these frames (about to be deleted, or gone), noting
        `reason` ("retention", "missing") so they can say why no frame is shown. Returns how many
        observations changed."""
        with self.transaction():
            return self._conn.execute(
                "UPDATE observations SET frame_id = NULL, frame_removed = ? "
                "WHERE frame_id IN (SELECT value FROM json_each(?))", (reason, json.dumps(list(frame_ids)))
            ).rowcount

    def relink_frames(self, mapping: dict[str, str]) -> int:
        """Point the observations that show frame `old` at frame `new`, for each old -> new of
        `mapping` (a frame moved to another file). Returns how many observations changed."""
        with self.transaction():
            return self._conn.execute(
                "UPDATE observations SET frame_id = (SELECT value FROM json_each(?) WHERE key = frame_id) "
                "WHERE frame_id IN (SELECT key FROM json_each(?))", (json.dumps(mapping), json.dumps(mapping))
            ).rowcount

    def frames_in_order(self) -> list[str]:
        """The ids of the frames observations link to, in the order they were seen."""
        with self._lock:
            return [r[0] for r in self._conn.execute(
                "SELECT frame_id FROM observations WHERE frame_id IS NOT NULL ORDER BY time, id")]

    def linked_frames(self) -> set[str]:
        """The ids of every frame an observation links to."""
        with self._lock:
            return {r[0] for r in self._conn.execute(
                "SELECT frame_id FROM observations WHERE frame_id IS NOT NULL")}

    def apps(self) -> list[tuple[str, int]]:
        """Apps in the raw log with their observation counts, most frequent first."""
        rows = self._rows("SELECT app, count(*) AS n FROM observations GROUP BY app ORDER BY n DESC")
        return [(r["app"], r["n"]) for r in rows]

    # -- memories ------------------------------------------------------------------------------
    def add(self, memory: Memory, *, sources: Sequence[int] = (), cause: str) -> Memory:
        """Store a new memory with its provenance and an ADD history entry; returns it stored."""
        stamp = now()
        return self._insert(memory, sources, stamp, stamp,
                            [HistoryEntry("", "ADD", stamp, cause, None, memory.content())])

    def restore(self, memory: Memory, *, sources: Sequence[int] = (),
                history: Sequence[HistoryEntry]) -> Memory:
        """Store a memory kept elsewhere (an archive) with its change history as it was recorded
        there (times, causes, old and new values); its created and updated times come from that
        history. Returns it stored, under a new id."""
        if not history:
            raise ValidationError("a restored memory needs its history")
        entries = sorted(history, key=lambda e: e.at)
        return self._insert(memory, sources, entries[0].at, entries[-1].at, entries)

    def _insert(self, memory: Memory, sources: Sequence[int], created: datetime, updated: datetime,
                history: Sequence[HistoryEntry]) -> Memory:
        _validate(memory)
        kind = memory.type
        row = _to_row(memory)
        with self.transaction():
            try:
                columns = ", ".join(map(_quote, row))
                cur = self._conn.execute(
                    f"INSERT INTO {memory_table(kind)} (created_at, updated_at, {columns}) "
                    f"VALUES (?, ?, {', '.join('?' for _ in row)})",
                    (ts(created), ts(updated), *row.values()),
                )
            except sc.IntegrityError as exc:
                raise ValidationError(f"cannot add {kind.value} memory: {exc}") from None
            number = cur.lastrowid
            self._link(kind, number, sources)
            self._index(kind, number, memory)
            for e in history:
                self._record(kind, number, e.operation, e.cause, e.old, e.new, at=e.at)
        return self.get(f"{kind.value}:{number}")

    def update(
        self, memory_id: str, memory: Memory, *, sources: Sequence[int] = (), cause: str
    ) -> Memory:
        """Replace a memory's content (same type), add provenance, and keep the old value in history."""
        old = self.get(memory_id)
        if type(memory) is not type(old):
            raise ValidationError(f"{memory_id} is a {old.type.value} memory, not {memory.type.value}")
        _validate(memory)
        kind, number = parse_memory_id(memory_id)
        row = _to_row(memory)
        with self.transaction():
            self._conn.execute(
                f"UPDATE {memory_table(kind)} SET updated_at = ?, "
                f"{', '.join(f'{_quote(c)} = ?' for c in row)} WHERE id = ?",
                (ts(now()), *row.values(), number),
            )
            self._link(kind, number, sources)
            self._unindex(kind, number)
            self._index(kind, number, memory)
            if memory.text() != old.text():  # its vector is re-embedded at the next index sync
                self._conn.execute("DELETE FROM embeddings WHERE ref = ?", (memory_id,))
            self._record(kind, number, "UPDATE", cause, old.content(), memory.content())
        return self.get(memory_id)

    def delete(self, memory_id: str, *, cause: str) -> None:
        """Remove a memory from use, keeping a DELETE entry (with its old value) in history.
        To erase every trace, use `forget(memory_id=...)`."""
        old = self.get(memory_id)
        kind, number = parse_memory_id(memory_id)
        with self.transaction():
            self._erase_rows(kind, [number])
            self._record(kind, number, "DELETE", cause, old.content(), None)

    def get(self, memory_id: str) -> Memory:
        """The memory with this id; ValidationError if there is none."""
        try:
            kind, number = parse_memory_id(memory_id)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        found = self._load(kind, "id = ?", [number])
        if not found:
            raise ValidationError(f"no memory {memory_id}")
        return found[0]

    def memories(
        self, kind: MemoryType | None = None, *, limit: int | None = None, ids: Sequence[str] = ()
    ) -> list[Memory]:
        """Memories of one type (or all), most recently updated first; or exactly `ids`."""
        if ids:
            by_kind: dict[MemoryType, list[int]] = {}
            for mid in ids:
                k, n = parse_memory_id(mid)
                by_kind.setdefault(k, []).append(n)
            found = {
                m.id: m
                for k, numbers in by_kind.items()
                for m in self._load(k, "id IN (SELECT value FROM json_each(?))", [json.dumps(numbers)])
            }
            return [found[i] for i in ids if i in found]
        kinds = [kind] if kind else list(MemoryType)
        out: list[Memory] = []
        for k in kinds:
            out += self._load(k, "1", [], limit=limit)
        out.sort(key=lambda m: m.updated_at, reverse=True)
        return out[:limit] if limit is not None else out

    def memories_between(
        self, since: datetime, until: datetime, kinds: Sequence[MemoryType] | None = None
    ) -> list[Memory]:
        """Memories about the time [since, until): those made from an observation seen then, and
        episodic events that occurred then. Most recently updated first. Uses the time indexes of
        observations and episodic events; never reads the other memories."""
        found: list[Memory] = []
        span = [ts(clamped_time(since)), ts(clamped_time(until))]
        for kind in kinds or list(MemoryType):
            # CROSS JOIN keeps observations outside: the time index picks the rows, then each
            # one's provenance is found by its observation id.
            linked = ("SELECT p.memory_row FROM observations o CROSS JOIN provenance p "
                      "ON p.observation_id = o.id AND p.memory_type = ? WHERE o.time >= ? AND o.time < ?")
            params: list = [kind.value, *span]
            if kind is MemoryType.EPISODIC:
                linked += " UNION SELECT id FROM mem_episodic WHERE occurred_at >= ? AND occurred_at < ?"
                params += span
            found += self._load(kind, f"id IN ({linked})", params)
        found.sort(key=lambda m: m.updated_at, reverse=True)
        return found

    def search_memories(
        self, query: str, k: int = 10, kinds: Sequence[MemoryType] | None = None
    ) -> list[tuple[Memory, float]]:
        """Full-text (BM25) search over memory text; higher score is better."""
        words = query_words(query)
        grams = query_terms(query)
        if not words and not grams:
            return []
        ranked: list[tuple[float, MemoryType, int]] = []
        for kind in kinds or list(MemoryType):
            fts = memory_fts(kind)
            match = fts_query(self._selective(words, fts, memory_table(kind)) + grams)
            rows = self._rows(
                f"SELECT rowid, -bm25({fts}) AS score FROM {fts} WHERE {fts} MATCH ? "
                f"ORDER BY bm25({fts}) LIMIT ?",
                [match, k],
            )
            ranked += [(r["score"], kind, r["rowid"]) for r in rows]
        # Rank every kind's matches first, then load only the k winners (not k of each kind).
        ranked.sort(key=lambda hit: hit[0], reverse=True)
        wanted: dict[MemoryType, dict[int, float]] = {}
        for score, kind, rowid in ranked[:k]:
            wanted.setdefault(kind, {})[rowid] = score
        scored = [(m, score[parse_memory_id(m.id)[1]]) for kind, score in wanted.items()
                  for m in self._load(kind, "id IN (SELECT value FROM json_each(?))", [json.dumps(list(score))])]
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored

    def history(self, memory_id: str) -> list[HistoryEntry]:
        """Every recorded change to a memory, oldest first."""
        kind, number = parse_memory_id(memory_id)
        rows = self._rows(
            "SELECT * FROM history WHERE memory_type = ? AND memory_row = ? ORDER BY id",
            [kind.value, number],
        )
        return [
            HistoryEntry(
                memory_id=memory_id, operation=r["operation"], at=from_ts(r["at"]), cause=r["cause"],
                old=json.loads(r["old"]) if r["old"] else None,
                new=json.loads(r["new"]) if r["new"] else None,
            )
            for r in rows
        ]

    def _load(self, kind: MemoryType, where: str, params: list, limit: int | None = None) -> list[Memory]:
        table = memory_table(kind)
        sql = f"SELECT * FROM {table} WHERE {where} ORDER BY updated_at DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._rows(sql, params)
        if not rows:
            return []
        links: dict[int, list[int]] = {}
        for r in self._rows(
            "SELECT memory_row, observation_id FROM provenance WHERE memory_type = ? AND memory_row "
            "IN (SELECT value FROM json_each(?)) ORDER BY observation_id",
            [kind.value, json.dumps([r["id"] for r in rows])],
        ):
            links.setdefault(r["memory_row"], []).append(r["observation_id"])
        return [_from_row(kind, r, tuple(links.get(r["id"], ()))) for r in rows]

    def _link(self, kind: MemoryType, number: int, sources: Sequence[int]) -> None:
        for obs in sources:
            try:
                self._conn.execute(
                    "INSERT OR IGNORE INTO provenance VALUES (?, ?, ?)", (kind.value, number, obs)
                )
            except sc.IntegrityError:
                raise ValidationError(f"provenance names observation {obs}, which does not exist") from None

    def _index(self, kind: MemoryType, number: int, memory: Memory) -> None:
        text = clean_text(memory.text())
        terms = index_terms(text)  # memory.grams: words inside unsegmented scripts, symbols
        self._conn.execute(f"INSERT INTO {memory_fts(kind)} (rowid, body) VALUES (?, ?)",
                           (number, f"{text}\n{terms}" if terms else text))

    def _unindex(self, kind: MemoryType, number: int) -> None:
        self._conn.execute(f"DELETE FROM {memory_fts(kind)} WHERE rowid = ?", (number,))

    def _record(self, kind, number, operation, cause, old, new, at: datetime | None = None) -> None:
        self._conn.execute(
            "INSERT INTO history (memory_type, memory_row, operation, at, cause, old, new) "
            "VALUES (?,?,?,?,?,?,?)",
            (kind.value, number, operation, ts(at or now()), cause,
             json.dumps(old, default=_json_default) if old is not None else None,
             json.dumps(new, default=_json_default) if new is not None else None),
        )

    def _erase_rows(self, kind: MemoryType, numbers: Sequence[int]) -> None:
        packed = json.dumps(list(numbers))
        for n in numbers:
            self._unindex(kind, n)
        self._conn.execute(
            f"DELETE FROM {memory_table(kind)} WHERE id IN (SELECT value FROM json_each(?))", (packed,))
        self._conn.execute(
            "DELETE FROM provenance WHERE memory_type = ? AND memory_row IN "
            "(SELECT value FROM json_each(?))", (kind.value, packed))
        self._conn.execute(
            "DELETE FROM embeddings WHERE ref IN (SELECT ? || value FROM json_each(?))",
            (f"{kind.value}:", packed))

    # -- forgetting ----------------------------------------------------------------------------
    def forget(
        self,
        *,
        memory_id: str | None = None,
        app: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> ForgetReport:
        """Erase data from every table, the full-text index and the history.

        With `memory_id`: that memory. With `app` and/or a time range: the observations that match,
        every memory derived from any of them, and episodic memories of that app or time."""
        if memory_id is None and app is None and since is None and until is None:
            raise ValidationError("forget needs a memory id, an app, or a time range")
        with self.transaction():
            doomed: dict[MemoryType, set[int]] = {k: set() for k in MemoryType}
            obs_ids: list[int] = []
            frames: list[str] = []
            if memory_id is not None:
                mem = self.get(memory_id)
                doomed[mem.type].add(parse_memory_id(mem.id)[1])
            if app is not None or since is not None or until is not None:
                where, params = self._obs_filter(since=since, until=until, app=app)
                for r in self._conn.execute(
                    f"SELECT id, frame_id FROM observations WHERE {' AND '.join(where)}", params
                ):
                    obs_ids.append(r[0])
                    if r[1]:
                        frames.append(r[1])
                for kind_value, number in self._conn.execute(
                    "SELECT DISTINCT memory_type, memory_row FROM provenance WHERE observation_id "
                    "IN (SELECT value FROM json_each(?))", (json.dumps(obs_ids),)
                ):
                    doomed[MemoryType(kind_value)].add(number)
                ep_where, ep_params = [], []
                if app is not None:
                    ep_where.append("app = ?")
                    ep_params.append(app)
                if since is not None:
                    ep_where.append("occurred_at >= ?")
                    ep_params.append(ts(clamped_time(since)))
                if until is not None:
                    ep_where.append("occurred_at < ?")
                    ep_params.append(ts(clamped_time(until)))
                for (number,) in self._conn.execute(
                    f"SELECT id FROM mem_episodic WHERE {' AND '.join(ep_where)}", ep_params
                ):
                    doomed[MemoryType.EPISODIC].add(number)
            history = 0
            removed: list[str] = []
            for kind, numbers in doomed.items():
                if not numbers:
                    continue
                packed = json.dumps(sorted(numbers))
                history += self._conn.execute(
                    "DELETE FROM history WHERE memory_type = ? AND memory_row IN "
                    "(SELECT value FROM json_each(?))", (kind.value, packed)).rowcount
                self._erase_rows(kind, sorted(numbers))
                removed += [f"{kind.value}:{n}" for n in sorted(numbers)]
            if memory_id is not None:  # also the history of an earlier DELETE of the same id
                k, n = parse_memory_id(memory_id)
                history += self._conn.execute(
                    "DELETE FROM history WHERE memory_type = ? AND memory_row = ?", (k.value, n)
                ).rowcount
            packed_obs = json.dumps(obs_ids)
            self._conn.execute(
                "DELETE FROM embeddings WHERE ref IN (SELECT 'obs:' || value FROM json_each(?))", (packed_obs,))
            self._conn.execute(
                "DELETE FROM observations WHERE id IN (SELECT value FROM json_each(?))", (packed_obs,))
            # A reply keeps the question before it (its context, in its full text and vector):
            # the line after each forgotten one loses its context, and its vector is made anew.
            changed = [r[0] for r in self._conn.execute(
                "SELECT id FROM observations WHERE context != '' AND id IN (SELECT "
                "(SELECT min(o.id) FROM observations o WHERE o.id > f.value) FROM json_each(?) f)",
                (packed_obs,))]
            packed_changed = json.dumps(changed)
            self._conn.execute("UPDATE observations SET context = '' WHERE id IN (SELECT value FROM json_each(?))",
                               (packed_changed,))
            self._conn.execute(
                "DELETE FROM embeddings WHERE ref IN (SELECT 'obs:' || value FROM json_each(?))", (packed_changed,))
        self._compact()
        return ForgetReport(observations=len(obs_ids), memories=tuple(removed), history=history,
                            frames=tuple(frames), observation_ids=tuple(obs_ids),
                            changed_observation_ids=tuple(changed))

    def _compact(self) -> None:
        """Merge full-text segments (dropping deleted terms) and truncate the WAL."""
        with self._lock:
            self._conn.execute("INSERT INTO observations_fts(observations_fts) VALUES ('optimize')")
            for kind in MemoryType:
                fts = memory_fts(kind)
                self._conn.execute(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # -- embeddings of record ------------------------------------------------------------------
    def put_embeddings(self, model: str, vectors: dict[str, bytes]) -> None:
        """Store vectors (float32 bytes) by ref ("obs:12", "semantic:3"). A store that cannot be
        written (read-only, damaged) only notes them as embedded for this run: the caller keeps
        the vectors in memory, and search works without changing the file."""
        if self.read_only or self.damage is not None:
            with self._lock:
                if "vectors_in_memory" not in self._vocabs:
                    self._conn.execute("CREATE TEMP TABLE IF NOT EXISTS vectors_in_memory "
                                       "(ref TEXT, model TEXT, PRIMARY KEY (ref, model))")
                    self._vocabs.add("vectors_in_memory")
                self._conn.executemany("INSERT OR IGNORE INTO temp.vectors_in_memory VALUES (?, ?)",
                                       [(ref, model) for ref in vectors])
            return
        with self.transaction():
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (ref, model, vector) VALUES (?, ?, ?)",
                [(ref, model, blob) for ref, blob in vectors.items()],
            )

    def drop_empty_embeddings(self, model: str) -> int:
        """Remove the empty vectors of `model` (items noted as needing none), so that they are
        offered by `unembedded` again; returns how many."""
        if self.read_only or self.damage is not None:
            return 0
        with self.transaction():
            return self._conn.execute(
                "DELETE FROM embeddings WHERE model = ? AND length(vector) = 0", (model,)).rowcount

    def drop_stale_embeddings(self, embedder: str, keep: Sequence[str]) -> int:
        """Remove the vectors `embedder` made under other names than `keep` ("name/v2" beside
        "name/v3": an earlier version's, never read again); returns how many."""
        if self.read_only or self.damage is not None:
            return 0
        family = f"{embedder}/"
        sql = ("DELETE FROM embeddings WHERE substr(model, 1, ?) = ? "
               "AND model NOT IN (SELECT value FROM json_each(?))")
        with self.transaction():
            return self._conn.execute(sql, (len(family), family, json.dumps(list(keep)))).rowcount

    def embeddings(self, model: str) -> Iterator[tuple[str, bytes]]:
        """Every stored vector of `model`, as (ref, the bytes stored: float32, or float16 for the
        multilingual model; empty for an item noted as needing none)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT ref, vector FROM embeddings WHERE model = ?", (model,)).fetchall()
        yield from rows

    def unembedded(self, model: str, limit: int = 256) -> tuple[list[Observation], list[Memory]]:
        """Observations and memories that have no vector of `model` yet."""
        known = "SELECT ref FROM embeddings WHERE model = ?"
        params = [model]
        if "vectors_in_memory" in self._vocabs:  # embedded by this run of a store it cannot write
            known += " UNION SELECT ref FROM temp.vectors_in_memory WHERE model = ?"
            params.append(model)
        obs = [_observation(r) for r in self._rows(
            f"SELECT * FROM observations WHERE 'obs:' || id NOT IN ({known}) ORDER BY id LIMIT ?",
            [*params, limit])]
        mems: list[Memory] = []
        for kind in MemoryType:
            mems += self._load(kind, f"'{kind.value}:' || id NOT IN ({known})", params, limit=limit)
        return obs, mems[:limit]

    # -- settings and figures ------------------------------------------------------------------
    def settings(self) -> dict[str, object]:
        """Every stored setting, by key."""
        with self._lock:
            self._fresh()
            return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM settings")}

    def setting(self, key: str, default: object = None) -> object:
        value = self._one("SELECT value FROM settings WHERE key = ?", [key])
        return default if value is None else json.loads(value)

    def set_setting(self, key: str, value: object) -> None:
        with self.transaction():
            self._conn.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)",
                               (key, json.dumps(value)))

    def processing_counts(self) -> dict[int, int]:
        """How many observations are in each processing state (0 pending, 1 done, 2+ failed
        passes; memory.managers), by one pass over the pending index."""
        rows = self._rows("SELECT processed, count(*) AS n FROM observations GROUP BY processed")
        return {r["processed"]: r["n"] for r in rows}

    def counts(self) -> StoreCounts:
        return StoreCounts(
            observations=self._one("SELECT count(*) FROM observations"),
            pending_observations=self._one("SELECT count(*) FROM observations WHERE processed = 0"),
            memories={k: self._one(f"SELECT count(*) FROM {memory_table(k)}") for k in MemoryType},
        )

    # -- batches (idempotent processing) -------------------------------------------------------
    def batch_status(self, key: str) -> str | None:
        return self._one("SELECT status FROM batches WHERE key = ?", [key])

    def record_batch(self, key: str, status: str, *, model_calls: int = 0, retries: int = 0,
                     error: str | None = None) -> None:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO batches (key, status, attempts, model_calls, retries, error, at) "
                "VALUES (?, ?, 1, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET status = excluded.status, "
                "attempts = attempts + 1, model_calls = model_calls + excluded.model_calls, "
                "retries = retries + excluded.retries, error = excluded.error, at = excluded.at",
                (key, status, model_calls, retries, error, ts(now())),
            )

    def batch_figures(self) -> dict[str, int]:
        rows = self._rows("SELECT status, count(*) AS n FROM batches GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    def last_batch_time(self) -> datetime | None:
        """When the memory managers last finished a batch (done or failed)."""
        at = self._one("SELECT max(at) FROM batches")
        return from_ts(at) if at else None


def _id_range(lo: int, hi: int) -> str:
    """Ids lo..hi-1 as a WHERE clause over params (lo, hi). One id is found by equality, which reads
    only its own page (a range also steps onto the next page, which may be the damaged one)."""
    return "id = ? AND ? > 0" if hi - lo == 1 else "id >= ? AND id < ?"


# -- row mapping ------------------------------------------------------------------------------
def _quote(column: str) -> str:
    return f'"{column}"'


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return ts(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _observation(r: dict) -> Observation:
    return Observation(
        id=r["id"], time=from_ts(r["time"]), app=r["app"], title=r["title"], url=r["url"],
        text=r["text"], source_kind=r["source_kind"], source_id=r["source_id"],
        frame_id=r["frame_id"], processed=bool(r["processed"]), frame_removed=r["frame_removed"],
        context=r["context"],
    )


def _to_row(memory: Memory) -> dict[str, object]:
    row: dict[str, object] = {}
    for f in content_fields(type(memory)):
        value = getattr(memory, f.name)
        kind = column_kind(f.type)
        if kind in ("time", "time?"):
            row[f.name] = ts(value) if value is not None else None
        elif kind == "list":
            row[f.name] = json.dumps([clean_text(str(v)) for v in value])
        elif kind == "int":
            row[f.name] = int(value)
        else:
            row[f.name] = clean_text(str(value))
    return row


def _from_row(kind: MemoryType, r: dict, sources: tuple[int, ...]) -> Memory:
    cls = MEMORY_CLASSES[kind]
    values: dict[str, object] = {}
    for f in content_fields(cls):
        raw = r[f.name]
        ck = column_kind(f.type)
        if ck in ("time", "time?"):
            values[f.name] = from_ts(raw) if raw else None
        elif ck == "list":
            values[f.name] = tuple(json.loads(raw))
        else:
            values[f.name] = raw
    return cls(id=f"{kind.value}:{r['id']}", created_at=from_ts(r["created_at"]),
               updated_at=from_ts(r["updated_at"]), sources=sources, **values)


def _validate(memory: Memory) -> None:
    for f in content_fields(type(memory)):
        value = getattr(memory, f.name)
        ck = column_kind(f.type)
        if ck == "text":
            if not isinstance(value, str):
                raise ValidationError(f"{memory.type.value}.{f.name} must be text")
            if f.default is dataclasses.MISSING and not value.strip():  # required field
                raise ValidationError(f"{memory.type.value}.{f.name} must not be empty")
            if len(value) > MAX_FIELD_CHARS:
                raise ValidationError(f"{memory.type.value}.{f.name} is longer than {MAX_FIELD_CHARS}")
        elif ck == "list":
            if not all(isinstance(v, str) for v in value):
                raise ValidationError(f"{memory.type.value}.{f.name} must be a list of text")
        elif ck == "time" and not isinstance(value, datetime):
            raise ValidationError(f"{memory.type.value}.{f.name} must be a time")
    if isinstance(memory, VaultEntry) and memory.sensitivity not in SENSITIVITIES:
        raise ValidationError(f"vault.sensitivity must be one of {', '.join(SENSITIVITIES)}")
    if isinstance(memory, CoreBlock) and len(memory.value) > memory.limit:
        raise ValidationError(f"core block '{memory.label}' exceeds its limit of {memory.limit}")

