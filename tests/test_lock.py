"""The hash-locked requirements: package names, versions and hashes only, so they install the same on any
machine (no index URL, wheel folder or local path of the machine they were locked on), pip first."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = sorted((ROOT / "requirements").glob("*.txt"))
# A pin may carry an environment marker (osmem-server: wheels for a few platforms only, no sdist).
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+( ; [A-Za-z0-9_ .=!<>()\"']+)? \\$")
HASH = re.compile(r"^    --hash=sha256:[0-9a-f]{64}( \\)?$")


@pytest.mark.parametrize("lock", LOCKS, ids=lambda p: p.name)
def test_a_lock_file_holds_pins_and_hashes_only(lock):
    pins = 0
    for number, line in enumerate(lock.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        assert PIN.match(line) or HASH.match(line), f"{lock.name}:{number}: {line!r}"
        pins += bool(PIN.match(line))
    assert pins, f"{lock.name} pins nothing"


def test_make_lock_leaves_the_machines_indexes_out_and_pip_is_installed_first():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    compiles = [line for line in makefile.splitlines() if "pip-compile " in line]
    assert {out for line in compiles for out in re.findall(r"-o (requirements/\S+)", line)} == {
        f"requirements/{lock.name}" for lock in LOCKS}
    assert all("--no-emit-index-url" in line and "--no-emit-find-links" in line and "--generate-hashes" in line
               for line in compiles)
    assert "pip==" in (ROOT / "requirements" / "pip.txt").read_text(encoding="utf-8")
    for recipe in (makefile, (ROOT / "Dockerfile").read_text(encoding="utf-8")):
        assert recipe.index("--require-hashes -r requirements/pip.txt") < recipe.index("--require-hashes -r requirements/main.txt")
