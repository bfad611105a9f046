"""How many CPUs this process may use: the cores it may run on, capped by its cgroup's CPU limit.

`os.cpu_count()` counts the host's cores; a container started with `--cpus 2` on a 64-core host
would run 65 gunicorn workers that share two CPUs' worth of time. The limit is the CFS quota
over its period: cgroup v2's `cpu.max` (`200000 100000`, or `max 100000` for none), cgroup v1's
`cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1 for none), on the process's own cgroup and every
cgroup above it (the tightest wins). A fractional limit rounds up (1.5 CPUs: 2), never below 1.

`root` is the filesystem root the files are read under (`/`), so tests pass a folder of fixture
files instead.

    >>> usable_cores() >= 1
    True
"""
from __future__ import annotations

import math
import os
from pathlib import Path, PurePosixPath

CGROUP_MOUNT = PurePosixPath("sys/fs/cgroup")


def usable_cores(root: Path = Path("/")) -> int:
    """Cores this process may run on, capped by the CPU limit of its cgroup (see the module's doc)."""
    cores = _schedulable_cores()
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cores = min(cores, max(1, math.ceil(limit)))
    return max(1, cores)


def cgroup_cpu_limit(root: Path = Path("/")) -> float | None:
    """The CPUs' worth of time the cgroup (v2 or v1) allows, or None when nothing limits it."""
    limits = [quota / period for quota, period in _quotas(root) if quota > 0 and period > 0]
    return min(limits) if limits else None


def _schedulable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def _quotas(root: Path) -> list[tuple[int, int]]:
    """(quota, period) pairs from the process's cgroup up to the mount's top; quota -1 for none."""
    found: list[tuple[int, int]] = []
    for line in _read(root / "proc/self/cgroup").splitlines():
        number, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if number == "0" and controllers == "":  # v2: one unified hierarchy
            for folder in _folders(root / CGROUP_MOUNT, path):
                found.extend(_v2_quota(folder / "cpu.max"))
        elif "cpu" in controllers.split(","):  # v1: the cpu controller's own hierarchy
            for mount in (root / CGROUP_MOUNT / controllers, root / CGROUP_MOUNT / "cpu"):
                if mount.is_dir():
                    for folder in _folders(mount, path):
                        found.extend(_v1_quota(folder))
                    break
    return found


def _folders(mount: Path, path: str) -> list[Path]:
    """The cgroup's folder under `mount` and each one above it. Inside a container (its own cgroup
    namespace, or the host's path not mounted) the mount's top is the container's cgroup."""
    parts = [p for p in PurePosixPath(path or "/").parts if p != "/"]
    folders = [mount.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]
    return [f for f in folders if f.is_dir()]


def _v2_quota(file: Path) -> list[tuple[int, int]]:
    fields = _read(file).split()
    if len(fields) != 2 or fields[0] == "max":
        return []
    try:
        return [(int(fields[0]), int(fields[1]))]
    except ValueError:
        return []


def _v1_quota(folder: Path) -> list[tuple[int, int]]:
    try:
        return [(int(_read(folder / "cpu.cfs_quota_us")), int(_read(folder / "cpu.cfs_period_us")))]
    except ValueError:  # missing or unreadable
        return []


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
