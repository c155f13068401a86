#!/usr/bin/env python3
"""The kernel backtraces in a guest's console log, a line per CPU.

    nested-kvm-traces.py CONSOLE_LOG

After nested-kvm.sh sent a hung guest an NMI (its kernel panics on one and prints the
backtraces), this condenses each CPU's into one line: the task, where it was, and its
callers, innermost first, leaving out the NMI's own frames and the unreliable ("?") ones."""
import re
import sys

STAMP = r"^(?:\[\s*[\d.]+\]\s)?"
HEADER = re.compile(STAMP + r"CPU: (\d+) PID: (\d+) Comm: (\S+)")
RIP = re.compile(STAMP + r"RIP: [0-9a-f]+:(\S+)")
FRAME = re.compile(STAMP + r"\s+(\?\s+)?([\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+)(\s+\[\w+\])?\s*$")
MARK = re.compile(STAMP + r"\s+<(/?)(NMI|IRQ|TASK|#\w+)>\s*$")
IDLE = re.compile(STAMP + r"NMI backtrace for cpu (\d+) skipped: idling at (\S+)")


def main():
    if len(sys.argv) != 2:
        print("usage: nested-kvm-traces.py CONSOLE_LOG", file=sys.stderr)
        return 2
    try:
        text = open(sys.argv[1], errors="replace").read().replace("\r", "")
    except OSError as e:
        print(f"cannot read the console log: {e.strerror}", file=sys.stderr)
        return 1
    traces, cur, in_nmi = [], None, False
    for line in text.splitlines():
        m = IDLE.match(line)
        if m:
            traces.append({"cpu": m.group(1), "comm": "idle", "rip": [m.group(2)], "frames": []})
            cur = None
            continue
        m = HEADER.match(line)
        if m:
            cur = {"cpu": m.group(1), "comm": m.group(3), "rip": [], "frames": []}
            traces.append(cur)
            in_nmi = False
            continue
        if cur is None:
            continue
        m = RIP.match(line)
        if m:
            cur["rip"].append(m.group(1))
            continue
        m = MARK.match(line)
        if m:
            if m.group(2) == "NMI":
                in_nmi = not m.group(1)
            continue
        m = FRAME.match(line)
        if m and not m.group(1) and not in_nmi:
            cur["frames"].append(m.group(2).split("/")[0] + (m.group(3) or ""))
    if not traces:
        print("the guest kernel printed no backtrace")
        return 0
    seen = set()  # the panicking CPU's trace comes twice: the panic's and the all-CPU one
    for t in traces:
        rip = t["rip"][-1] if t["rip"] else "?"
        callers = " < ".join(t["frames"][:12]) or "none shown"
        line = f"CPU {t['cpu']} ({t['comm']}): at {rip}; called from {callers}"
        if line not in seen:
            seen.add(line)
            print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
