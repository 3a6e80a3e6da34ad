"""Is the port free? Checked before any set-up, and naming the process that holds it when it is not.

Standard library only, so ``scripts/start.sh`` can run this file with the system Python before the
virtualenv exists: ``python3 hub/serving_port.py HOST PORT`` exits 0 when free, 1 with the message.
"""

from __future__ import annotations

import os
import socket
import sys


def port_problem(host: str, port: int) -> str | None:
    """None when ``host:port`` can be listened on, else one line saying why (and who holds it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the real server will
        try:
            probe.bind((host, port))
            probe.listen(1)
            return None
        except OSError as err:
            reason = err.strerror or str(err)
    holder = holder_of(port)
    held = f" (held by {holder})" if holder else ""
    return (f"port {port} on {host} is not available: {reason}{held}. "
            f"Stop that process, or start on another port with --port N.")


def holder_of(port: int) -> str | None:
    """"pid N (name)" of a local process listening on ``port``, read from /proc (Linux); None elsewhere."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue  # another user's process, or gone
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return f"pid {pid} ({_process_name(pid)})"
    return "another process"


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                        inodes.add(inode)
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return inodes


def _process_name(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            words = [w.decode(errors="replace") for w in f.read().split(b"\0") if w]
    except OSError:
        return "?"
    return " ".join(words)[:80] or "?"


if __name__ == "__main__":  # pragma: no cover - exercised by tests/cli/test_start_script.py
    problem = port_problem(sys.argv[1], int(sys.argv[2]))
    if problem:
        print(f"hub: {problem}", file=sys.stderr)
    sys.exit(1 if problem else 0)
