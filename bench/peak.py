"""This process's peak resident memory."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_mb() -> float:
    """The peak resident set of this process since it started, in MB.

    From /proc's VmHWM where there is one: ``getrusage``'s ``ru_maxrss`` keeps what the
    parent held when it forked this process (Linux carries it across the exec), so a
    benchmark run from a large parent would report the parent's size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
