#!/usr/bin/env python3
"""Where each vCPU of a stopped-responding nested KVM guest is: one line per CPU.

    nested-kvm-cpus.py MONITOR_SOCKET [SYMBOL_MAP...]
    nested-kvm-cpus.py --nmi MONITOR_SOCKET

Asks QEMU's human monitor for every vCPU's registers and names the instruction pointer
from the symbol maps given (/proc/kallsyms or `nm` output, "ADDRESS TYPE NAME [MODULE]"
lines, or an ELF file, read with nm), so a hung guest says whether it spins in its own
kernel (and in which function), in a nested guest's kernel, or in user space. --nmi sends
every vCPU an NMI instead. Prints nothing and exits 1 when the monitor does not answer."""
import bisect
import re
import socket
import subprocess
import sys


def monitor(path, command, timeout=10.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    out = b""
    def until_prompt():
        nonlocal out
        while not out.endswith(b"(qemu) "):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    until_prompt()
    out = b""
    s.sendall(command.encode() + b"\n")
    until_prompt()
    s.close()
    # The monitor echoes the command with terminal escapes; the answer follows.
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.decode(errors="replace"))
    return text.replace("\r", "")


def load_map(path):
    with open(path, "rb") as f:
        elf = f.read(4) == b"\x7fELF"
    if elf:
        lines = subprocess.run(["nm", path], capture_output=True, text=True).stdout.splitlines()
    else:
        with open(path) as f:
            lines = f.read().splitlines()
    syms = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), " ".join(parts[2:])))
    syms.sort()
    return syms


def name(syms, addr):
    keys = [a for a, _ in syms]
    i = bisect.bisect_right(keys, addr) - 1
    if i < 0 or addr - syms[i][0] > 0x100000:
        return None
    return f"{syms[i][1]}+{addr - syms[i][0]:#x}"


def main():
    if len(sys.argv) < 2 or sys.argv[1] == "--nmi" and len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    if sys.argv[1] == "--nmi":
        try:
            monitor(sys.argv[2], "nmi")
        except OSError:
            return 1
        return 0
    maps = []
    for path in sys.argv[2:]:
        try:
            maps.append((path, load_map(path)))
        except OSError:
            pass
    try:
        text = monitor(sys.argv[1], "info registers -a")
    except OSError:
        return 1
    cpus = re.split(r"^CPU#(\d+)\s*$", text, flags=re.M)
    for i in range(1, len(cpus) - 1, 2):
        regs = cpus[i + 1]
        rip = re.search(r"RIP=([0-9a-f]+)", regs)
        if not rip:
            continue
        addr = int(rip.group(1), 16)
        fields = dict(re.findall(r"\b(CPL|HLT|RFL)=([0-9a-f]+)", regs))
        where = "user space"
        if addr >= 0xFFFF800000000000:
            where = "kernel space, no symbol"
            for path, syms in maps:
                n = name(syms, addr)
                if n:
                    where = f"{n} ({path.rsplit('/', 1)[-1]})"
                    break
        intr = "on" if int(fields.get("RFL", "0"), 16) & 0x200 else "off"
        print(f"CPU {cpus[i]}: RIP {addr:#x} {where}, CPL {fields.get('CPL', '?')}, "
              f"interrupts {intr}, halted {fields.get('HLT', '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
