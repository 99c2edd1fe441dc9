#!/usr/bin/env bash
# TorchSharp 0.107.0's glue library libLibTorchSharp.so was built with GCC 13+ and asks for GLIBCXX_3.4.32
# (for std::ios_base_library_init() alone, a no-op hook that <iostream> calls since GCC 13); Debian 12's
# libstdc++ (GCC 12) stops at GLIBCXX_3.4.30, so the library fails to load. libtorch itself needs only 3.4.26.
# Where that happens, this marks the requirement weak in the copy under the build output (never the NuGet
# cache) and builds a one-function stand-in, libiosinit.so, that Program.cs loads globally before TorchSharp.
# On a machine whose libstdc++ is new enough (Debian 13, GCC 13+) it does nothing.
set -euo pipefail
out=${1:?usage: fix-old-libstdcxx.sh OUTPUT_DIR}
lib="$out/libLibTorchSharp.so"
[ -f "$lib" ] || exit 0
if ! ldd "$lib" 2>&1 | grep -q "version \`GLIBCXX_3.4.32' not found"; then
  rm -f "$out/libiosinit.so"
  exit 0
fi
python3 "$(dirname "$0")/elf_weak_version.py" "$lib" GLIBCXX_3.4.32
printf 'void _ZSt21ios_base_library_initv(void) {}\n' | cc -shared -fPIC -O2 -x c - -o "$out/libiosinit.so"
echo "fix-old-libstdcxx: patched $lib and built $out/libiosinit.so"
