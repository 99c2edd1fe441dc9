#!/usr/bin/env python3
# Marks a symbol-version requirement (e.g. GLIBCXX_3.4.32) of an ELF64 little-endian shared object weak
# (VER_FLG_WEAK), in place, so the dynamic loader no longer refuses the object when the version is missing.
# usage: elf_weak_version.py LIBRARY VERSION
import struct, sys
p, want = sys.argv[1], sys.argv[2].encode()
b = bytearray(open(p, 'rb').read())
shoff, = struct.unpack_from('<Q', b, 0x28); shentsize, shnum, shstrndx = struct.unpack_from('<HHH', b, 0x3A)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
vr = [s for s in secs if s[1] == 0x6ffffffe][0]   # SHT_GNU_verneed
strtab = secs[vr[6]]                                 # sh_link -> .dynstr
def cstr(o):
    s = strtab[4] + o; return bytes(b[s:b.index(0, s)])
off = vr[4]; n = 0
while True:
    ver, cnt, file, aux, nxt = struct.unpack_from('<HHIII', b, off)
    a = off + aux
    for _ in range(cnt):
        h, flags, other, name, anext = struct.unpack_from('<IHHII', b, a)
        if cstr(name) == want:
            struct.pack_into('<H', b, a + 4, flags | 2); n += 1
        a += anext
    if not nxt: break
    off += nxt
open(p, 'wb').write(b); print(f'{p}: {n} requirement(s) of {want.decode()} marked weak')
