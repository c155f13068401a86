#!/usr/bin/env python3
"""The lwk's x86-64 decoder (lwk/insn.c) against objdump, and its function lookup
(lwk/elf_sym.c) against readelf, on real static programs (TAP).

usage: insn_objdump.py INSN_CHECK PROGRAM...

For every function objdump disassembles, each instruction length the decoder gives must be
objdump's; where the decoder stops (an encoding it does not know) the rest of that function
is not compared, and the opcode is counted. For every sized STT_FUNC symbol, elf_func_at must
give its range for its first, middle and last byte (or refuse where two different functions
overlap there), and refuse addresses outside every function.

Then the same comparison on pseudo-random bytes (a fixed seed, biased towards prefixes and
escapes): at every instruction objdump decodes (not "(bad)"), a length the decoder gives must
be objdump's. One difference of convention is allowed: objdump reads fwait (9b) and the x87
instruction after it as one; the CPU, and the decoder, take fwait alone.
"""
import collections
import os
import random
import re
import subprocess
import sys
import tempfile

HEAD = re.compile(r'^([0-9a-f]+) <(.*)>:$')
LINE = re.compile(r'^ *([0-9a-f]+):\t([0-9a-f ]+?) *\t(.*)$')


def functions(path):
    """objdump's view: [(name, addr, [(len, text)], hexbytes)], cut at the first (bad)."""
    out = subprocess.run(['objdump', '-d', '-w', path], check=True, capture_output=True,
                         text=True).stdout
    funcs, cur = [], None
    for line in out.splitlines():
        m = HEAD.match(line)
        if m:
            cur = [m.group(2), int(m.group(1), 16), [], [], False]
            funcs.append(cur)
            continue
        m = LINE.match(line)
        if not m or cur is None or cur[4]:
            continue
        raw = m.group(2).split()
        if '(bad)' in m.group(3):
            cur[4] = True
            continue
        cur[2].append((len(raw), m.group(3)))
        cur[3].extend(raw)
    return [(f[0], f[1], f[2], ''.join(f[3])) for f in funcs if f[2]]


def check_decoder(helper, path, tap):
    funcs = functions(path)
    lines = ''.join('f%d %s\n' % (i, f[3]) for i, f in enumerate(funcs))
    out = subprocess.run([helper, 'decode'], input=lines, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    full = stopped = insns = agree = 0
    unknown = collections.Counter()
    verdicts = collections.Counter()
    bad = []
    for f, line in zip(funcs, out):
        parts = line.split(' ')
        lens = parts[1]
        stop = None
        if '?' in lens:
            lens, stop = lens.split('?')
        got = [int(x) for x in lens.split(',') if x]
        want = [n for n, _ in f[2]]
        insns += len(want)
        for i, n in enumerate(got):
            if i >= len(want) or n != want[i]:
                bad.append('%s+%d: decoder %d bytes, objdump %s' %
                           (f[0], sum(got[:i]), n, f[2][i] if i < len(want) else 'nothing'))
                break
            agree += 1
        if stop is None:
            full += 1
        else:
            stopped += 1
            i = len(got)
            if i < len(f[2]):
                off = sum(want[:i]) * 2
                text = f[2][i][1].split()
                unknown[' '.join([f[3][off:off + 2 * f[2][i][0]][:8]] + text[:1])] += 1
        for v in parts[2:]:
            verdicts[v.split('=')[1]] += 1
    tap.check(not bad, '%s: decoder lengths agree with objdump (%d of %d instructions '
              'compared, %d functions decode fully, %d stop at an unknown encoding)' %
              (path, agree, insns, full, stopped), bad[:10])
    for what, n in unknown.most_common(15):
        tap.diag('  unknown: %s (%d functions)' % (what, n))
    tap.diag('  syscall sites: %d safe, %d unsafe (red zone), %d unknown' %
             (verdicts['S'], verdicts['U'], verdicts['K']))


def check_lookup(helper, path, tap):
    out = subprocess.run(['readelf', '-sW', path], check=True, capture_output=True,
                         text=True).stdout
    ranges = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == 'FUNC' and f[6] not in ('UND', 'ABS'):
            size = int(f[2], 0)
            if size:
                ranges.add((int(f[1], 16), size))
    queries = {}
    if not ranges:  # stripped: every address is refused
        entry = int(re.search(r'Entry point address: *0x([0-9a-f]+)',
                              subprocess.run(['readelf', '-h', path], check=True,
                                             capture_output=True, text=True).stdout).group(1), 16)
        queries = {entry: None, entry + 1: None}
        ranges = {(entry, 0)}
    for lo, size in ranges:
        for va in (lo, lo + size // 2, lo + size - 1):
            around = {r for r in ranges if r[0] <= va < r[0] + r[1]}
            queries[va] = around.pop() if len(around) == 1 else None
    # Outside every function: below the image, and past the last function.
    end = max(lo + size for lo, size in ranges)
    for va in (0, 0x1000, end + 0x100000):
        if not any(r[0] <= va < r[0] + r[1] for r in ranges):
            queries[va] = None
    vas = sorted(queries)
    res = subprocess.run([helper, 'func', path] + ['%x' % v for v in vas], check=True,
                         capture_output=True, text=True).stdout.splitlines()
    bad = []
    found = 0
    for va, line in zip(vas, res):
        f = line.split()
        got = None if f[1] == 'none' else (int(f[1], 16), int(f[2], 16))
        found += got is not None
        if got != queries[va]:
            bad.append('%x: elf_func_at %s, readelf %s' % (va, got, queries[va]))
    tap.check(len(res) == len(vas) and not bad,
              '%s: elf_func_at agrees with readelf -s at %d addresses (%d in a function)' %
              (path, len(vas), found), bad[:10])


def check_random(helper, tap):
    rnd = random.Random(15)
    pre = [b'\x66', b'\xf3', b'\xf2', b'\x48', b'\x4c', b'\x41', b'\x67', b'\x0f',
           b'\x0f\x38', b'\x0f\x3a', b'\xc5', b'\xc4', b'\x62', b'']
    data = bytearray()
    for _ in range(30000):
        for _ in range(rnd.randint(0, 2)):
            data += rnd.choice(pre)
        data += bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 10)))
    with tempfile.NamedTemporaryFile(suffix='.bin') as f:
        f.write(data)
        f.flush()
        out = subprocess.run(['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64', '-w',
                              f.name], check=True, capture_output=True, text=True).stdout
    insns = []
    for line in out.splitlines():
        m = LINE.match(line)
        if m and '(bad)' not in m.group(3):
            insns.append((int(m.group(1), 16), len(m.group(2).split()), m.group(3)))
    lines = ''.join('i%d %s\n' % (o, data[o:o + 15].hex()) for o, _, _ in insns)
    res = subprocess.run([helper, 'decode'], input=lines, check=True, capture_output=True,
                         text=True).stdout.splitlines()
    bad, agree = [], 0
    for (o, n, text), line in zip(insns, res):
        first = line.split(' ')[1].split(',')[0]
        if first.startswith('?'):
            continue
        got = int(first)
        if got == n:
            agree += 1
        elif not (data[o] == 0x9b and got == 1):
            bad.append('%s: decoder %d bytes, objdump %d (%s)' % (data[o:o + n].hex(), got, n,
                                                                  text))
    tap.check(len(res) == len(insns) and not bad and agree > len(insns) // 2,
              'random bytes: decoder lengths agree with objdump (%d of %d instructions objdump '
              'decodes)' % (agree, len(insns)), bad[:10])


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, details):
        self.n += 1
        self.failed += not ok
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, what))
        for d in details:
            self.diag('  ' + d)

    @staticmethod
    def diag(text):
        print('# ' + text)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    helper, progs = sys.argv[1], sys.argv[2:]
    print('1..%d' % (2 * len(progs) + 1))
    tap = Tap()
    for p in progs:
        check_decoder(helper, p, tap)
        check_lookup(helper, p, tap)
    check_random(helper, tap)
    sys.exit(1 if tap.failed else 0)


if __name__ == '__main__':
    main()
