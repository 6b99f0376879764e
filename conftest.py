import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("ENGRAM_HOME", None)
os.environ.pop("ENGRAM_PASSPHRASE", None)
