"""Data files: prompt templates, JSON schemas, the embedding tokenizer, icons."""

from pathlib import Path

ASSETS = Path(__file__).parent


def read_text(relative: str) -> str:
    return (ASSETS / relative).read_text(encoding="utf-8")
