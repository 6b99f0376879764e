"""The frozen build's entry point: the `engram` command (and, with no arguments where there is a
display, the desktop app), as a PyInstaller executable."""

import multiprocessing
import sys

if __name__ == "__main__":
    # The OCR worker is a spawned process: in a frozen build it is this executable again, and
    # freeze_support turns that run into the worker before anything else is imported.
    multiprocessing.freeze_support()
    # Finder on macOS 10.8 and older passes a process serial number; it is not an option of ours.
    args = [a for a in sys.argv[1:] if not a.startswith("-psn_")]
    from app.cli import main

    main(args=args, prog_name="engram")
