"""Processes seen from /proc (Linux): what the tests of `serve` and benchmarks/resume.py look for."""

from pathlib import Path


def children_of(pid: int) -> set[int]:
    """Direct child processes of `pid`, read from /proc (Linux)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
