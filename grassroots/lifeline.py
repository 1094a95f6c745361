"""A child of `manage.py serve` never outlives it.

Two mechanisms, because neither covers every case alone: on Linux the kernel sends SIGTERM to the child when its
parent dies (prctl PR_SET_PDEATHSIG, set between fork and exec), and the worker itself watches the parent's pid
(`watch_parent`, a daemon thread) and exits when it is gone, which also covers systems without prctl and a
pdeath signal the child chose to treat gracefully (db_worker finishes its task on SIGTERM: a 300k-row verification
would keep it alive for minutes). A task cut short this way is resumed by the next worker (collection/leases.py).
"""

import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)

PARENT_ENV = "GRASSROOTS_PARENT_PID"  # set by serve for its children
PR_SET_PDEATHSIG = 1
EXIT_GRACE_SECONDS = 5.0  # after SIGTERM, how long the worker may take to stop on its own before it is ended


def die_with_parent() -> None:
    """preexec_fn of serve's children: SIGTERM when the parent dies (Linux only; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def parent_pid() -> int | None:
    """The pid of the `serve` that started this process, or None when it was started another way."""
    value = os.environ.get(PARENT_ENV, "")
    return int(value) if value.isdigit() else None


def parent_gone(expected: int) -> bool:
    """True when this process's parent is no longer `expected` (it died and this process was re-parented)."""
    return os.getppid() != expected


def watch_parent(expected: int | None = None, interval: float = 1.0) -> threading.Thread | None:
    """Start a daemon thread that ends this process when its parent `serve` is gone; None when not under serve."""
    expected = expected if expected is not None else parent_pid()
    if expected is None:
        return None
    if parent_gone(expected):  # serve died between fork and here
        _exit_now()
    thread = threading.Thread(target=_watch, args=(expected, interval), name="lifeline", daemon=True)
    thread.start()
    return thread


def _watch(expected: int, interval: float) -> None:
    while not parent_gone(expected):
        time.sleep(interval)
    log.warning("serve (pid %s) is gone: stopping this worker", expected)
    os.kill(os.getpid(), signal.SIGTERM)  # the worker's own graceful stop first
    time.sleep(EXIT_GRACE_SECONDS)
    _exit_now()


def _exit_now() -> None:
    logging.shutdown()
    os._exit(1)
