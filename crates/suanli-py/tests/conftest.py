"""Shared fixtures: the `suanli` binary built from this repository, to compare answers with."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, List, Tuple

import pytest

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


def _binary() -> Path:
    """SUANLI_BIN, else `cargo build -p suanli-cli` (a no-op when up to date) and the binary in
    cargo's target folder."""
    given = os.environ.get("SUANLI_BIN")
    if given:
        return Path(given)
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("no cargo to build the suanli binary (set SUANLI_BIN)")
    subprocess.run([cargo, "build", "-q", "-p", "suanli-cli"], cwd=REPO, check=True)
    meta = subprocess.run(
        [cargo, "metadata", "-q", "--no-deps", "--format-version", "1"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"]) / "debug" / "suanli"


class Cli:
    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, *args: str) -> Tuple[int, str, str]:
        p = subprocess.run([str(self.path), *args], cwd=REPO, capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def json(self, *args: str, ok: Tuple[int, ...] = (0,)) -> Any:
        """`suanli ARGS -f json`, parsed (JSON lines as a list)."""
        rc, out, err = self.run(*args, "-f", "json")
        assert rc in ok, f"suanli {' '.join(args)} exited {rc}: {err}"
        try:
            return json.loads(out)
        except json.JSONDecodeError:
            return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def cli() -> Cli:
    return Cli(_binary())


def without_timing(v: Any) -> Any:
    """The answer less its wall-clock fields (train's `search.seconds`)."""
    if isinstance(v, dict):
        return {k: without_timing(x) for k, x in v.items() if k != "seconds"}
    if isinstance(v, list):
        return [without_timing(x) for x in v]
    return v


def args(*a: Any) -> List[str]:
    return [str(x) for x in a]
