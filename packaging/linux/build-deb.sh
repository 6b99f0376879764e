#!/usr/bin/env bash
# The Debian package of a frozen Linux build: /opt/engram (the one-folder build), /usr/bin/engram,
# the menu entry, the icons, the AppStream metadata and the copyright file.
#   usage: bash packaging/linux/build-deb.sh DIST_FOLDER      (normally dist/engram)
# Writes dist/engram_VERSION_ARCH.deb. Its dependencies are the system libraries the build's own
# binaries load and did not bundle, found with ldd and named by dpkg -S on this (Debian) machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
dist="$(cd "${1:?usage: build-deb.sh DIST_FOLDER}" && pwd)"
[ -x "$dist/engram" ] || { echo "$dist/engram is not a frozen Engram build" >&2; exit 1; }
version="$("$dist/engram" --version | awk '{print $NF}')"
arch="$(dpkg --print-architecture)"
icons="$repo/build/icons"
[ -f "$icons/engram-256.png" ] || { echo "no icons in $icons: run packaging/icons.py first" >&2; exit 1; }

stage="$repo/build/deb/engram_${version}_${arch}"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
  "$stage/usr/share/metainfo" "$stage/usr/share/doc/engram" "$stage/usr/share/icons/hicolor/scalable/apps"
cp -a "$dist" "$stage/opt/engram"
ln -s /opt/engram/engram "$stage/usr/bin/engram"
install -m 644 "$here/engram.desktop" "$stage/usr/share/applications/engram.desktop"
install -m 644 "$here/org.engram.Engram.metainfo.xml" "$stage/usr/share/metainfo/org.engram.Engram.metainfo.xml"
install -m 644 "$here/copyright" "$stage/usr/share/doc/engram/copyright"
install -m 644 "$repo/assets/icons/engram.svg" "$stage/usr/share/icons/hicolor/scalable/apps/engram.svg"
for size in 16 22 24 32 48 64 128 256 512; do
  mkdir -p "$stage/usr/share/icons/hicolor/${size}x${size}/apps"
  install -m 644 "$icons/engram-$size.png" "$stage/usr/share/icons/hicolor/${size}x${size}/apps/engram.png"
done
# Readable by everyone, writable by root only, whatever the build's umask was.
chmod -R u+rwX,go+rX,go-w "$stage"

# The system libraries the bundle needs: what its ELF files link to outside the bundle, resolved as
# the frozen program resolves them (its bootloader puts _internal on the library path; the rest
# have $ORIGIN run paths). The Qt platform theme for GTK is optional (it loads only where GTK 3 is).
elves="$(find "$stage/opt/engram" -type f \( -name '*.so*' -o -name engram \) ! -name libqgtk3.so)"
libs="$(echo "$elves" | LD_LIBRARY_PATH="$stage/opt/engram/_internal" xargs ldd 2>/dev/null \
  | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | grep -v "^$stage" | sort -u)"
packages="$(for lib in $libs; do dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null; done \
  | cut -d: -f1 | sort -u)"
[ -n "$packages" ] || { echo "no dependencies found: is this a Debian system with ldd?" >&2; exit 1; }
# glibc: the newest symbol version any binary of the build asks for (the build machine's Python and
# wheels decide it), so that apt refuses the package where it cannot run instead of failing at start.
glibc="$(echo "$elves" | xargs objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' \
  | sort -uV | tail -1)"
depends="$(for p in $packages; do [ "$p" = libc6 ] && echo "libc6 (>= $glibc)" || echo "$p"; done \
  | paste -sd, | sed 's/,/, /g')"

installed_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: engram
Version: $version
Architecture: $arch
Maintainer: Engram developers <engram@localhost>
Installed-Size: $installed_kb
Depends: $depends
Recommends: fonts-dejavu-core | fonts-liberation2, hicolor-icon-theme
Section: utils
Priority: optional
Description: private, encrypted memory of what you see on your screen
 Engram reads the text on your screen every few seconds, lays it out as a timeline
 of your day, and distils it into memories you can search and ask questions about,
 with a small language model that runs on this computer (llama.cpp). Everything is
 stored encrypted on your own disk (SQLCipher, AES-GCM, Argon2id); nothing is sent
 anywhere.
 .
 This package is a self-contained build under /opt/engram with its own Python, Qt,
 OCR and embedding models and the SmolLM2-135M floor model; the larger Qwen model
 tiers are offered for download on first run. Your data (~/.local/share/Engram)
 stays when the package is removed or purged.
CONTROL

out="$repo/dist/engram_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out: $(du -h "$out" | cut -f1) (installs $((installed_kb / 1024)) MiB); Depends: $depends"
