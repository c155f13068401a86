#!/usr/bin/env python3
"""Connection flood against dsvd's socket (issue 11), run as the test's unprivileged user.

flood.py idle SOCK N SECONDS    opens N connections, sends nothing, holds them SECONDS, then
                                prints how many dsvd closed ("open N closed M refused R")
flood.py resend SOCK N SECONDS  N connections that keep sending GET /vms; a connection dsvd
                                closes is opened again; prints requests sent and answers seen
flood.py early413 SOCK          announces a 10 GB body, sends none: prints the status line
"""
import errno
import resource
import select
import socket
import sys
import time


def connect(path):
    # a blocking connect waits for room in the listen backlog, as an ordinary client does
    # (with a timeout Python makes it non-blocking, and a full backlog fails at once)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    return s


def closed_by_peer(s):
    try:
        return s.recv(4096, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def idle(path, n, hold):
    socks, refused = [], 0
    for _ in range(n):
        try:
            socks.append(connect(path))
        except OSError:
            refused += 1
    print(f"open {len(socks)}", flush=True)
    time.sleep(hold)
    closed = sum(closed_by_peer(s) for s in socks)
    print(f"open {len(socks)} closed {closed} refused {refused}", flush=True)


REQ = b"GET /vms HTTP/1.1\r\nHost: dsvd\r\n\r\n"


def resend(path, n, seconds):
    socks = [connect(path) for _ in range(n)]
    sent = answers = reopened = 0
    print("resending", flush=True)
    end = time.time() + seconds
    while time.time() < end:
        for i, s in enumerate(socks):
            try:
                s.send(REQ)
                sent += 1
            except OSError:
                s.close()
                try:
                    socks[i] = connect(path)
                    reopened += 1
                except OSError:
                    pass
        r, _, _ = select.select(socks, [], [], 0.01)
        for s in r:
            try:
                answers += s.recv(65536).count(b"HTTP/1.1 ")
            except OSError:
                pass
    print(f"sent {sent} answers {answers} reopened {reopened}", flush=True)


def early413(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(b"POST /vms HTTP/1.1\r\nHost: dsvd\r\nContent-Type: application/json\r\n"
              b"Content-Length: 10000000000\r\n\r\n{")
    s.settimeout(20)  # only a dsvd that waits for the body misses it
    try:
        data = s.recv(4096)
    except socket.timeout:
        data = b"(no answer within 20 s)"
    print(data.split(b"\r\n")[0].decode(errors="replace"))


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "idle":
        idle(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "resend":
        resend(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "early413":
        early413(path)
    else:
        sys.exit(f"flood.py: unknown mode {mode}")


if __name__ == "__main__":
    main()
