"""The CPUs a server may use (search/cores.py): a container's CPU limit, read from cgroup files.

Each folder under tests/fixtures/cgroup is a filesystem root holding the two places the limit is read
from: /proc/self/cgroup (which cgroup the process is in) and /sys/fs/cgroup (its limits)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.pipeline import default_workers
from search import settings
from search.cores import cgroup_cpu_limit, usable_cores

CGROUPS = Path(__file__).resolve().parents[1] / "fixtures" / "cgroup"


@pytest.mark.parametrize(("root", "limit"), [
    ("v2-docker", 1.5),  # docker run --cpus 1.5: cpu.max "150000 100000" at the namespace's top
    ("v2-nested", 0.5),  # the service's own cgroup has no limit; its parent's 0.5 CPU applies
    ("v1-docker", 1.0),  # cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us under cpu,cpuacct
    ("v2-unlimited", None),  # cpu.max "max 100000"
    ("none", None),  # no cgroup files mounted at all
])
def test_the_cpu_limit_is_the_quota_over_the_period(root, limit):
    assert cgroup_cpu_limit(CGROUPS / root) == limit


def test_a_limit_caps_the_cores_rounded_up_and_never_below_one():
    cores = len(os.sched_getaffinity(0))
    assert usable_cores(CGROUPS / "v2-nested") == 1  # half a CPU still runs one worker
    assert usable_cores(CGROUPS / "v1-docker") == 1
    assert usable_cores(CGROUPS / "v2-docker") == min(cores, 2)
    assert usable_cores(CGROUPS / "v2-unlimited") == usable_cores(CGROUPS / "none") == cores


def test_the_server_and_the_indexer_count_workers_from_the_usable_cores():
    assert settings.value("NEWSEARCH_WORKERS", {}) == usable_cores() + 1
    assert settings.value("NEWSEARCH_LONG_SEARCHES", {}) == usable_cores()
    assert default_workers() == usable_cores()
