import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from memory import (
    CoreBlock,
    EpisodicEvent,
    MemoryStore,
    MemoryType,
    NewObservation,
    ProceduralEntry,
    ResourceItem,
    SemanticFact,
    StoreError,
    ValidationError,
    VaultEntry,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def obs(text, app="Mail", minutes=0, **kw):
    return NewObservation(time=T0 + timedelta(minutes=minutes), text=text, app=app, **kw)


def test_observations_round_trip_in_time_order(store):
    ids = store.add_observations([obs("second", minutes=5), obs("first", app="Slack")])
    assert all(isinstance(i, int) for i in ids)
    got = store.observations()
    assert [o.text for o in got] == ["first", "second"]
    assert got[0].app == "Slack" and got[0].time == T0
    assert [o.text for o in store.observations(app="Mail")] == ["second"]
    assert [o.text for o in store.observations(since=T0 + timedelta(minutes=1))] == ["second"]


def test_the_same_source_id_is_stored_once(store):
    first = store.add_observations([obs("a", source_kind="import", source_id="x1")])
    again = store.add_observations([obs("a", source_kind="import", source_id="x1")])
    assert first[0] is not None and again == [None]
    assert store.counts().observations == 1


def test_full_text_search_finds_stemmed_words(store):
    store.add_observations([obs("We are meeting Alice on Tuesday"), obs("Grocery list: eggs")])
    hits = store.search_observations("meetings with alice")
    assert [o.text for o, _ in hits] == ["We are meeting Alice on Tuesday"]


def test_a_word_in_most_rows_of_a_big_table_is_left_out_of_the_search(store, monkeypatch):
    import memory.store as store_module

    store.add_observations([obs(f"Weekly meeting notes {i}", minutes=i) for i in range(30)]
                           + [obs("Meeting with the dentist", minutes=40)])
    store.add(SemanticFact(name="dentist", summary="The dentist meeting is on Friday"), cause="t")
    # A small table keeps every word: "meetings" (stemmed like "meeting") matches all 31 rows.
    assert len(store.search_observations("meetings dentist", 50)) == 31
    monkeypatch.setattr(store_module, "COMMON_FROM_ROWS", 10)
    hits = store.search_observations("meetings dentist", 50)
    assert [o.text for o, _ in hits] == ["Meeting with the dentist"]
    # The rarest word stays even when every word is common; memories are pruned by their own rows.
    assert len(store.search_observations("weekly meetings", 50)) == 30
    assert [m.summary for m, _ in store.search_memories("meetings dentist")] == ["The dentist meeting is on Friday"]


def test_search_with_and_without_filters_ranks_alike(store):
    store.add_observations([obs("budget budget review", minutes=1), obs("budget draft", minutes=2),
                            obs("lunch plans", minutes=3), obs("the budget", app="Slack", minutes=4)])
    plain = [(o.text, round(score, 6)) for o, score in store.search_observations("budget review")]
    filtered = [(o.text, round(score, 6)) for o, score in store.search_observations("budget review", app="Mail")]
    assert plain[0][0] == "budget budget review" and len(plain) == 3
    assert filtered == [pair for pair in plain if pair[0] != "the budget"]


@pytest.mark.parametrize(
    "query",
    ["'; DROP TABLE observations; --", 'NEAR("a" "b")', "*", '"', "a AND OR NOT", "col:value", "", "^x",
     "(unbalanced", "\x00"],
)
def test_sql_and_fts_syntax_in_queries_is_just_text(store, query):
    store.add_observations([obs("DROP TABLE observations is a phrase here")])
    store.search_observations(query)
    store.search_memories(query)
    assert store.counts().observations == 1


def test_nul_bytes_and_lone_surrogates_are_stored_cleanly(store):
    bad = "before\x00after \udcff end"
    store.add_observations([obs(bad, app="A\x00pp")])
    got = store.observations()[0]
    assert "\x00" not in got.text and got.text.startswith("before") and got.text.endswith("end")
    assert store.search_observations("after")


def test_ten_megabytes_of_text_is_stored_and_searchable(store):
    huge = ("lorem ipsum dolor " * 600_000)[:10_000_000] + " needleword"
    store.add_observations([obs(huge)])
    assert len(store.observations()[0].text) == len(huge)
    assert store.search_observations("needleword")


ALL_TYPES = [
    CoreBlock(label="human", value="Name: Dana. Prefers short answers."),
    EpisodicEvent(occurred_at=T0, summary="Read an email about the budget meeting", app="Mail"),
    SemanticFact(name="Alice", summary="Alice is the project manager"),
    ProceduralEntry(summary="Deploy the site", steps=("git push", "run make deploy")),
    ResourceItem(title="Q3 budget.xlsx", location="/home/dana/Q3 budget.xlsx"),
    VaultEntry(caption="Alice's phone", value="+44 20 7946 0000", entry_type="contact"),
]


@pytest.mark.parametrize("memory", ALL_TYPES, ids=lambda m: m.type.value)
def test_every_memory_type_round_trips_with_provenance_and_history(store, memory):
    [oid] = store.add_observations([obs("source text")])
    stored = store.add(memory, sources=[oid], cause="test")
    assert stored.id.startswith(memory.type.value + ":")
    assert stored.content() == memory.content()
    assert stored.sources == (oid,)
    assert [h.operation for h in store.history(stored.id)] == ["ADD"]
    assert store.counts().memories[memory.type] == 1


def test_an_update_keeps_the_old_value_in_history(store):
    m = store.add(SemanticFact(name="Bob", summary="Bob works at Acme"), cause="batch 1")
    store.update(m.id, SemanticFact(name="Bob", summary="Bob works at Initech"), cause="batch 2")
    history = store.history(m.id)
    assert [h.operation for h in history] == ["ADD", "UPDATE"]
    assert history[1].old["summary"] == "Bob works at Acme"
    assert history[1].new["summary"] == "Bob works at Initech"
    assert store.get(m.id).summary == "Bob works at Initech"
    assert [x.id for x, _ in store.search_memories("initech")] == [m.id]
    assert store.search_memories("acme") == []


def test_delete_keeps_a_record_but_forget_erases_it(store):
    m = store.add(SemanticFact(name="X", summary="temporary fact"), cause="t")
    store.delete(m.id, cause="superseded")
    assert store.memories(MemoryType.SEMANTIC) == []
    assert [h.operation for h in store.history(m.id)] == ["ADD", "DELETE"]
    n = store.add(SemanticFact(name="Y", summary="another fact"), cause="t")
    report = store.forget(memory_id=n.id)
    assert report.memories == (n.id,) and report.history == 1
    assert store.history(n.id) == []


def test_forget_an_app_removes_its_observations_and_what_was_derived_from_them(store):
    mail = store.add_observations([obs("secret project zebra", app="Mail")])
    slack = store.add_observations([obs("lunch plans", app="Slack")])
    derived = store.add(SemanticFact(name="Zebra", summary="project zebra"), sources=mail, cause="t")
    other = store.add(SemanticFact(name="Lunch", summary="lunch plans"), sources=slack, cause="t")
    episode = store.add(EpisodicEvent(occurred_at=T0, summary="wrote mail", app="Mail"), cause="t")
    report = store.forget(app="Mail")
    assert report.observations == 1
    assert set(report.memories) == {derived.id, episode.id}
    assert store.search_observations("zebra") == [] and store.search_memories("zebra") == []
    assert store.history(derived.id) == []
    assert [m.id for m in store.memories()] == [other.id]
    assert [o.app for o in store.observations()] == ["Slack"]


def test_forget_a_time_range(store):
    store.add_observations([obs("early", minutes=0), obs("middle", minutes=30), obs("late", minutes=90)])
    report = store.forget(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=60))
    assert report.observations == 1
    assert [o.text for o in store.observations()] == ["early", "late"]


def test_forget_needs_a_selector(store):
    with pytest.raises(ValidationError):
        store.forget()


def test_invalid_memories_are_refused(store):
    with pytest.raises(ValidationError, match="must not be empty"):
        store.add(SemanticFact(name="", summary="x"), cause="t")
    with pytest.raises(ValidationError, match="sensitivity"):
        store.add(VaultEntry(caption="c", value="v", sensitivity="extreme"), cause="t")
    with pytest.raises(ValidationError, match="limit"):
        store.add(CoreBlock(label="human", value="x" * 50, limit=10), cause="t")
    with pytest.raises(ValidationError, match="does not exist"):
        store.add(SemanticFact(name="a", summary="b"), sources=[999], cause="t")
    with pytest.raises(ValidationError, match="no memory"):
        store.get("semantic:42")
    with pytest.raises(ValidationError, match="not a memory id"):
        store.get("drop table")
    assert store.counts().memories[MemoryType.SEMANTIC] == 0


def test_a_failed_transaction_leaves_nothing_behind(store):
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.add_observations([obs("half-done")])
            raise RuntimeError("crash in the middle")
    assert store.counts().observations == 0


CHAT = ["Mel: Any big plans for the summer?", "Cam: Researching adoption agencies!",
        "Mel: Wonderful.", "Cam: Are you coming to the picnic?", "Notes: picnic list"]


def test_a_reply_keeps_the_question_it_answers_and_is_found_by_it(store):
    store.add_observations([obs(t, app="Chat", title="Mel", minutes=i) for i, t in enumerate(CHAT[:2])])
    store.add_observations([obs(t, app="Chat", title="Mel", minutes=i) for i, t in enumerate(CHAT[2:], 2)]
                           + [obs("Cam: Yes, see you there?", app="Mail", minutes=9)])
    assert [o.context for o in store.observations()] == [
        "", "Any big plans for the summer?", "", "", "", ""]  # not a reply, same speaker, other window
    assert {o.text for o, _ in store.search_observations("summer plans")} == set(CHAT[:2])
    # Forgetting the question takes it out of the reply too.
    report = store.forget(since=T0, until=T0 + timedelta(seconds=1))
    assert report.changed_observation_ids == (2,)
    assert store.observations()[0].context == ""
    assert not store.search_observations("summer plans")


def test_lines_stored_before_replies_kept_their_question_get_it_when_the_store_is_opened(tmp_path, key,
                                                                                          monkeypatch):
    import memory.store as store_module

    path = tmp_path / "old.db"
    monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:4])
    with MemoryStore.create(path, key) as old:
        for i, text in enumerate(CHAT[:2]):
            old.db.execute("INSERT INTO observations (time, app, title, text, source_kind) VALUES (?,?,?,?,?)",
                           [f"2024-03-01T09:0{i}:00+00:00", "Chat", "Mel", text, "screen"])
    monkeypatch.undo()
    with MemoryStore.open(path, key) as new:
        assert new.schema_version() == len(store_module.MIGRATIONS)
        assert [o.context for o in new.observations()] == ["", "Any big plans for the summer?"]
        assert {o.text for o, _ in new.search_observations("summer")} == set(CHAT[:2])


def test_migrations_are_recorded(store):
    versions = store.db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [v[0] for v in versions] == list(range(1, store.schema_version() + 1))


def test_the_database_is_encrypted(tmp_path, key):
    path = tmp_path / "e.db"
    MemoryStore.create(path, key).close()
    with sqlite3.connect(path) as plain, pytest.raises(sqlite3.DatabaseError):
        plain.execute("SELECT * FROM sqlite_master").fetchall()


def test_a_wrong_key_names_the_file_and_changes_nothing(tmp_path, key):
    path = tmp_path / "e.db"
    with MemoryStore.create(path, key) as s:
        s.add_observations([obs("keep me")])
    before = path.read_bytes()
    with pytest.raises(StoreError, match="e.db cannot be opened"):
        MemoryStore.open(path, bytes(32))
    assert path.read_bytes() == before
    with MemoryStore.open(path, key) as s:
        assert [o.text for o in s.observations()] == ["keep me"]


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_database_names_the_file_and_is_not_overwritten(tmp_path, key, damage):
    path = tmp_path / "e.db"
    MemoryStore.create(path, key).close()
    data = path.read_bytes()
    damaged = data[:100] if damage == "truncate" else bytes(len(data))
    path.write_bytes(damaged)
    with pytest.raises(StoreError, match="e.db"):
        MemoryStore.open(path, key)
    assert path.read_bytes() == damaged


def test_a_missing_database_is_named(tmp_path, key):
    with pytest.raises(StoreError, match="e.db is missing"):
        MemoryStore.open(tmp_path / "e.db", key)


def test_memories_between_finds_by_own_time_or_by_the_time_of_their_observations(store):
    morning, evening = store.add_observations([obs("standup", minutes=0), obs("film", minutes=600)])
    day_event = store.add(EpisodicEvent(occurred_at=T0 + timedelta(hours=2), summary="Lunch"), cause="t")
    late_event = store.add(EpisodicEvent(occurred_at=T0 + timedelta(days=3), summary="Later"),
                           sources=[morning], cause="t")
    fact = store.add(SemanticFact(name="Anna", summary="Colleague"), sources=[morning], cause="t")
    store.add(SemanticFact(name="Film", summary="Watched"), sources=[evening], cause="t")
    store.add(EpisodicEvent(occurred_at=T0 - timedelta(days=1), summary="Yesterday"), cause="t")
    since, until = T0 - timedelta(minutes=1), T0 + timedelta(hours=3)
    assert {m.id for m in store.memories_between(since, until)} == {day_event.id, late_event.id, fact.id}
    assert {m.id for m in store.memories_between(since, until, [MemoryType.EPISODIC])} == \
        {day_event.id, late_event.id}
    assert store.memories_between(T0 + timedelta(days=5), T0 + timedelta(days=6)) == []
    assert store.memories_between(since, until, [MemoryType.SEMANTIC])[0].sources == (morning,)

