"""`python -m app`: the same as the `engram` command."""

from app.cli import main

main()
