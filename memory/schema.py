"""Database schema as numbered migrations, recorded in the database itself."""

from __future__ import annotations

from memory.models import MEMORY_CLASSES, MemoryType, content_fields

FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"


def memory_table(kind: MemoryType) -> str:
    return f"mem_{kind.value}"


def memory_fts(kind: MemoryType) -> str:
    return f"mem_{kind.value}_fts"


def column_kind(annotation: object) -> str:
    """How a dataclass field is stored: 'time', 'time?', 'list', 'int' or 'text'."""
    name = str(annotation)
    if name.startswith("datetime"):
        return "time?" if "None" in name else "time"
    if name.startswith("tuple"):
        return "list"
    if name == "int":
        return "int"
    return "text"


def _memory_tables() -> list[str]:
    sql = []
    for kind, cls in MEMORY_CLASSES.items():
        cols = []
        for f in content_fields(cls):
            ck = column_kind(f.type)
            if ck == "int":
                cols.append(f'"{f.name}" INTEGER NOT NULL')
            elif ck == "time?":
                cols.append(f'"{f.name}" TEXT')
            else:
                cols.append(f'"{f.name}" TEXT NOT NULL')
        table = memory_table(kind)
        sql.append(
            f"CREATE TABLE {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, "
            f"updated_at TEXT NOT NULL, {', '.join(cols)})"
        )
        sql.append(f"CREATE INDEX {table}_updated ON {table}(updated_at)")
        sql.append(
            f"CREATE VIRTUAL TABLE {memory_fts(kind)} USING fts5(body, content='', "
            f"contentless_delete=1, tokenize='{FTS_TOKENIZE}')"
        )
    sql.append(f"CREATE INDEX {memory_table(MemoryType.EPISODIC)}_time ON mem_episodic(occurred_at)")
    sql.append(f"CREATE UNIQUE INDEX {memory_table(MemoryType.CORE)}_label ON mem_core(label)")
    return sql


def _observation_search() -> list[str]:
    """Full text over observations (text, title, app, and the question a reply answers), kept
    in step with the table by triggers."""
    cols = "text, title, app, context"
    new = "new.text, new.title, new.app, new.context"
    old = "old.text, old.title, old.app, old.context"
    return [
        f"""CREATE VIRTUAL TABLE observations_fts USING fts5({cols},
            content='observations', content_rowid='id', tokenize='{FTS_TOKENIZE}')""",
        f"""CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN
            INSERT INTO observations_fts(rowid, {cols}) VALUES (new.id, {new}); END""",
        f"""CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN
            INSERT INTO observations_fts(observations_fts, rowid, {cols})
            VALUES ('delete', old.id, {old}); END""",
        f"""CREATE TRIGGER observations_au AFTER UPDATE OF {cols} ON observations BEGIN
            INSERT INTO observations_fts(observations_fts, rowid, {cols})
            VALUES ('delete', old.id, {old});
            INSERT INTO observations_fts(rowid, {cols}) VALUES (new.id, {new}); END""",
    ]


# Every observation's gram terms, into the (empty) gram index.
_FILL_GRAMS = ("INSERT INTO observations_grams(rowid, body) SELECT id, terms FROM "
               "(SELECT id, engram_grams(text, title, context) AS terms FROM observations) WHERE terms != ''")


def _gram_search() -> list[str]:
    """Terms for unsegmented scripts and symbols (memory.grams) beside the word index, kept in
    step with the observations by triggers that call the store's engram_grams() function."""
    add = ("INSERT INTO observations_grams(rowid, body) SELECT new.id, terms FROM "
           "(SELECT engram_grams(new.text, new.title, new.context) AS terms) WHERE terms != '';")
    return [
        "CREATE VIRTUAL TABLE observations_grams USING fts5(body, content='', contentless_delete=1, "
        "tokenize='ascii')",
        f"CREATE TRIGGER observations_grams_ai AFTER INSERT ON observations BEGIN {add} END",
        """CREATE TRIGGER observations_grams_ad AFTER DELETE ON observations BEGIN
            DELETE FROM observations_grams WHERE rowid = old.id; END""",
        f"""CREATE TRIGGER observations_grams_au AFTER UPDATE OF text, title, context ON observations BEGIN
            DELETE FROM observations_grams WHERE rowid = old.id; {add} END""",
        _FILL_GRAMS,
    ]


MIGRATIONS: list[tuple[str, list[str]]] = [
    (
        "raw log, six memory types, provenance, history, settings, embeddings",
        [
            """CREATE TABLE observations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused: refs point at them
                time TEXT NOT NULL,
                app TEXT NOT NULL DEFAULT '',
                title TEXT NOT NULL DEFAULT '',
                url TEXT NOT NULL DEFAULT '',
                text TEXT NOT NULL DEFAULT '',
                source_kind TEXT NOT NULL,
                source_id TEXT,
                frame_id TEXT,
                processed INTEGER NOT NULL DEFAULT 0)""",
            "CREATE INDEX observations_time ON observations(time)",
            "CREATE INDEX observations_app ON observations(app, time)",
            "CREATE INDEX observations_pending ON observations(processed, time)",
            "CREATE UNIQUE INDEX observations_source ON observations(source_kind, source_id) "
            "WHERE source_id IS NOT NULL",
            f"""CREATE VIRTUAL TABLE observations_fts USING fts5(text, title, app,
                content='observations', content_rowid='id', tokenize='{FTS_TOKENIZE}')""",
            """CREATE TRIGGER observations_ai AFTER INSERT ON observations BEGIN
                INSERT INTO observations_fts(rowid, text, title, app)
                VALUES (new.id, new.text, new.title, new.app); END""",
            """CREATE TRIGGER observations_ad AFTER DELETE ON observations BEGIN
                INSERT INTO observations_fts(observations_fts, rowid, text, title, app)
                VALUES ('delete', old.id, old.text, old.title, old.app); END""",
            """CREATE TRIGGER observations_au AFTER UPDATE OF text, title, app ON observations BEGIN
                INSERT INTO observations_fts(observations_fts, rowid, text, title, app)
                VALUES ('delete', old.id, old.text, old.title, old.app);
                INSERT INTO observations_fts(rowid, text, title, app)
                VALUES (new.id, new.text, new.title, new.app); END""",
            *_memory_tables(),
            """CREATE TABLE provenance (
                memory_type TEXT NOT NULL, memory_row INTEGER NOT NULL,
                observation_id INTEGER NOT NULL REFERENCES observations(id) ON DELETE CASCADE,
                PRIMARY KEY (memory_type, memory_row, observation_id)) WITHOUT ROWID""",
            "CREATE INDEX provenance_observation ON provenance(observation_id)",
            """CREATE TABLE history (
                id INTEGER PRIMARY KEY, memory_type TEXT NOT NULL, memory_row INTEGER NOT NULL,
                operation TEXT NOT NULL, at TEXT NOT NULL, cause TEXT NOT NULL,
                old TEXT, new TEXT)""",
            "CREATE INDEX history_memory ON history(memory_type, memory_row)",
            "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """CREATE TABLE embeddings (
                ref TEXT PRIMARY KEY, model TEXT NOT NULL, vector BLOB NOT NULL)""",
        ],
    ),
    (
        "memory batches: idempotent processing of the raw log",
        [
            """CREATE TABLE batches (
                id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0, model_calls INTEGER NOT NULL DEFAULT 0,
                retries INTEGER NOT NULL DEFAULT 0, error TEXT, at TEXT NOT NULL)""",
        ],
    ),
    (
        "frames removed by retention are unlinked from their observations, which say why",
        [
            "ALTER TABLE observations ADD COLUMN frame_removed TEXT NOT NULL DEFAULT ''",
            "CREATE INDEX observations_frame ON observations(frame_id) WHERE frame_id IS NOT NULL",
        ],
    ),
    (
        # Without it, finding what has no vector yet read every stored vector, once per batch of
        # embeddings: a first unlock of 200k items read tens of GB and did not end in 35 minutes.
        "vectors of record are listed by model without reading the vectors",
        ["CREATE INDEX embeddings_model ON embeddings(model, ref)"],
    ),
    (
        # memory.dialogue: a reply is found by the question it answers. The store fills the
        # context of lines stored before this version once, right after migrating.
        "a line of conversation keeps the question it answers, and full text searches it too",
        [
            "ALTER TABLE observations ADD COLUMN context TEXT NOT NULL DEFAULT ''",
            "DROP TRIGGER observations_ai",
            "DROP TRIGGER observations_ad",
            "DROP TRIGGER observations_au",
            "DROP TABLE observations_fts",
            *_observation_search(),
            "INSERT INTO observations_fts(observations_fts) VALUES ('rebuild')",
        ],
    ),
    (
        # memory.grams: words inside Chinese, Japanese, Thai... text and symbols such as emoji
        # are found. Memories get the same terms in their own index (filled in once, after).
        "words inside unsegmented scripts, and symbols, are searchable",
        _gram_search(),
    ),
    (
        # memory.embed: text in other scripts has a multilingual vector beside its MiniLM one.
        # Rewrites the table once (the vectors are copied, about 1.5 KB an item).
        "an item keeps one vector per embedding model",
        [
            """CREATE TABLE embeddings_by_model (
                ref TEXT NOT NULL, model TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (ref, model))""",
            "INSERT INTO embeddings_by_model (ref, model, vector) SELECT ref, model, vector FROM embeddings",
            "DROP TABLE embeddings",
            "ALTER TABLE embeddings_by_model RENAME TO embeddings",
            "CREATE INDEX embeddings_model ON embeddings(model, ref)",
        ],
    ),
    (
        # memory.grams: "E-Mail" is found by "email", "de-stress" by "destress". The gram index
        # is filled in again (and memories' full text, after), with hyphenated words as terms.
        "hyphenated words are found written in one piece",
        ["INSERT INTO observations_grams(observations_grams) VALUES ('delete-all')", _FILL_GRAMS],
    ),
]
GRAMS_MIGRATION = 6  # the version after which memories' full text holds memory.grams terms
COMPOUND_MIGRATION = 8  # ... and those terms include hyphenated words joined (memory.grams)
CONTEXT_MIGRATION = 5  # the version after which observations' context is filled in
