"""Questions whose time phrase is no date, or whose words are not English, through the command line."""

import json

from click.testing import CliRunner

from app.cli import main


def run(home, *args):
    env = {"ENGRAM_HOME": str(home), "ENGRAM_PASSPHRASE": "pass phrase 1"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_impossible_dates_in_a_question_find_by_the_words(tmp_path):
    home = tmp_path / "engram-data"
    assert run(home, "init").exit_code == 0
    lines = tmp_path / "notes.jsonl"
    lines.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"time": "2026-03-02T10:00:00+00:00", "text": "Budget review: travel costs are over plan", "app": "Mail"},
        {"time": "2026-03-03T10:00:00+00:00", "text": "我明天要去医院看医生", "app": "Notes"},
        {"time": "2026-03-04T10:00:00+00:00", "text": "今天的天气很好", "app": "Notes"},
    ]) + "\n")
    assert run(home, "import", str(lines)).exit_code == 0
    for question in ("budget in march 0000", "What was the budget in december 9999?"):
        result = run(home, "search", question, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)[0]["text"] == "Budget review: travel costs are over plan"
    result = run(home, "search", "医院", "--json")
    assert json.loads(result.output)[0]["text"] == "我明天要去医院看医生"


def test_an_answer_whose_dates_were_written_out_is_not_called_withdrawn(tmp_path, monkeypatch):
    from app.services import Engram
    from memory.llm import FakeModel

    home = tmp_path / "engram-data"
    assert run(home, "init").exit_code == 0
    lines = tmp_path / "notes.jsonl"
    lines.write_text(json.dumps({"time": "2023-08-28T10:00:00+00:00", "app": "Chat",
                                 "text": "Melanie: We went to the park yesterday, the kids loved it."}) + "\n")
    assert run(home, "import", str(lines)).exit_code == 0
    monkeypatch.setattr(Engram, "model", property(lambda self: FakeModel(["Yesterday"])))
    result = run(home, "ask", "When did Melanie go to the park?")
    assert result.exit_code == 0, result.output
    assert "(checked against your notes) 27 August 2023" in result.output
    assert "withdrawn" not in result.output
