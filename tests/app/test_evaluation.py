"""`engram eval locomo` in minutes: sampled questions (same seed, same sample), the first sessions
only, answers written out, memories per type and how many are grounded, each conversation apart."""

from __future__ import annotations

import json

from click.testing import CliRunner

from app.cli import main
from app.evaluation import run_locomo
from memory.llm import FakeModel


def conversation(sample_id: str) -> dict:
    conv = {"speaker_a": "Ana", "speaker_b": "Ben"}
    for n, day in ((1, "8 May, 2023"), (2, "20 May, 2023")):
        conv[f"session_{n}_date_time"] = f"1:56 pm on {day}"
        conv[f"session_{n}"] = [
            {"speaker": "Ana", "dia_id": f"D{n}:1",
             "text": f"I adopted a dog called Rex {'yesterday' if n == 1 else 'again'}."},
            {"speaker": "Ben", "dia_id": f"D{n}:2", "text": f"Ben went hiking in the Alps in session {n}."},
        ]
    qa = [{"question": "When did Ana adopt Rex?", "answer": "7 May 2023", "evidence": ["D1:1"], "category": 2},
          {"question": "Where did Ben go hiking?", "answer": "the Alps", "evidence": ["D1:2"], "category": 4},
          {"question": "What did Ben do in session 2?", "answer": "hiking", "evidence": ["D2:2"], "category": 4}]
    return {"sample_id": sample_id, "conversation": conv, "qa": qa}


def test_a_sample_of_questions_is_the_same_for_the_same_seed(tmp_path):
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([conversation("conv-a"), conversation("conv-b")]))
    one = run_locomo(data, [5], raw_only=True, questions=2, seed=3, model=FakeModel(["7 May 2023"]))
    two = run_locomo(data, [5], raw_only=True, questions=2, seed=3, model=FakeModel(["the Alps"]))
    assert one.answered == two.answered == 2
    assert [a["question"] for a in one.answers_given] == [a["question"] for a in two.answers_given]
    assert set(one.by_conversation) == {"conv-a", "conv-b"}
    assert one.scores["recall@5"]["overall"] == 100.0  # recall is measured on every question


def test_the_first_sessions_and_memories_per_type_grounded(tmp_path):
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([conversation("conv-a")]))
    model = FakeModel([{"events": []},
                       {"facts": ["Ana adopted a dog called Rex on 7 May 2023", "Ben went hiking in the Alps"]}])
    report = run_locomo(data, [5], answers=False, sessions=1, model=model)
    assert report.questions == 2  # the session-2 question is left out with its session
    assert report.memories_kept == {"episodic": 1, "semantic": 2}
    assert (report.memories_grounded, report.memories_checked, report.duplicate_facts) == (2, 2, 0)


def test_a_repeated_fact_is_the_same_subject_saying_the_same_thing():
    from app.evaluation import repeated_facts
    from memory import SemanticFact
    from memory.embed import MiniLMEmbedder

    facts = [SemanticFact(name="Caroline", summary="Caroline wants to become a counsellor"),
             SemanticFact(name="Caroline", summary="Caroline moved from Sweden four years ago"),
             SemanticFact(name="caroline", summary="Caroline wants to become a counsellor."),
             SemanticFact(name="Melanie", summary="Melanie wants to become a counsellor")]
    pairs = repeated_facts(facts, MiniLMEmbedder())
    assert [(a.name, b.summary) for a, b in pairs] == [("caroline", "Caroline wants to become a counsellor")]


def test_the_cli_writes_each_answer_with_its_score(tmp_path):
    data = tmp_path / "locomo.json"
    data.write_text(json.dumps([conversation("conv-a")]))
    out = tmp_path / "answers.jsonl"
    result = CliRunner().invoke(main, ["eval", "locomo", str(data), "--raw-only", "--no-answers", "--k", "5",
                                       "--conversation", "conv-a", "--answers-file", str(out)])
    assert result.exit_code == 0, result.output
    assert "conv-a recall@5" in result.output and out.read_text() == ""
    missing = CliRunner().invoke(main, ["eval", "locomo", str(data), "--conversation", "conv-z"])
    assert missing.exit_code != 0 and "no conversation" in missing.output


def test_a_kept_store_is_reused_only_under_the_same_settings(tmp_path):
    data, stores = tmp_path / "locomo.json", tmp_path / "stores"
    data.write_text(json.dumps([conversation("conv-a")]))
    model = FakeModel(["[]"] * 50)
    first = run_locomo(data, [5], answers=False, sessions=1, model=model, store_dir=stores)
    calls = len(model.prompts)
    again = run_locomo(data, [5], answers=False, sessions=1, model=model, store_dir=stores)
    assert (first.reused, again.reused) == (0, 1)
    assert len(model.prompts) == calls  # nothing was ingested again
    assert again.scores == first.scores
    assert "1 stores reused" in again.table()
    other = run_locomo(data, [5], answers=False, sessions=2, model=model, store_dir=stores)
    assert other.reused == 0 and len(model.prompts) > calls  # other sessions: made anew
    (stores / "conv-a-2-False" / "eval-settings.json").write_text("{}")  # as if interrupted
    assert run_locomo(data, [5], answers=False, sessions=2, model=model, store_dir=stores).reused == 0


def test_evidence_written_another_way_names_the_same_turns():
    from memory.evaluation import parse_sample

    sample = conversation("conv-a")
    sample["qa"][1]["evidence"] = ["D01:02; d1:1", "D2 : 2,D1:2"]
    parsed = parse_sample(sample)
    assert parsed.questions[1].evidence == ("D1:2", "D1:1", "D2:2", "D1:2")
    assert {t.source_id for _, turns in parsed.sessions for t in turns} == {"D1:1", "D1:2", "D2:1", "D2:2"}
