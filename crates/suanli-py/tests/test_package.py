"""The package itself: its stubs and signatures follow the Rust request types, work releases
the GIL, and the example script runs."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import suanli
from suanli import _suanli
from conftest import REPO

CRATE = REPO / "crates" / "suanli-py"
COMMANDS = ["flops", "infer", "train", "finetune", "serve", "simulate", "sweep", "plan", "audit", "validate", "catalog"]


def test_generated_functions_and_stubs_are_up_to_date():
    """_commands.py and __init__.pyi are what gen_api.py writes from the built module's schemas."""
    p = subprocess.run([sys.executable, str(CRATE / "gen_api.py"), "--check"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_stubs_match_the_runtime():
    """mypy's stubtest: every stub signature and name as the package has it at run time."""
    pytest.importorskip("mypy.stubtest")
    p = subprocess.run([sys.executable, "-m", "mypy.stubtest", "suanli"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_every_request_field_is_a_keyword_argument():
    for c in COMMANDS:
        fields = set(json.loads(_suanli.schema(c))["properties"])
        params = set(inspect.signature(getattr(suanli, c)).parameters)
        assert fields <= params, (c, fields - params)
        extra = params - fields - {"catalog", "as_frame", "input", "output"}
        assert not extra, (c, extra)


def test_stubs_document_every_function_and_parameter():
    stubs = ast.parse((CRATE / "python" / "suanli" / "__init__.pyi").read_text())
    funcs = {f.name: f for f in stubs.body if isinstance(f, ast.FunctionDef)}
    assert sorted(funcs) == sorted(COMMANDS)
    for name, f in funcs.items():
        doc = ast.get_docstring(f)
        assert doc, name
        for a in f.args.args + f.args.kwonlyargs:
            assert a.annotation is not None, (name, a.arg)
            assert f"{a.arg}:" in doc, (name, a.arg)
    assert (CRATE / "python" / "suanli" / "py.typed").exists()
    installed = Path(suanli.__file__).parent
    assert (installed / "py.typed").exists() and (installed / "__init__.pyi").exists()


def test_version_and_exports():
    assert suanli.__version__
    assert issubclass(suanli.InputError, suanli.SuanliError) and issubclass(suanli.Infeasible, suanli.SuanliError)
    for c in COMMANDS:
        assert callable(getattr(suanli, c)) and getattr(suanli, c).__doc__


def test_long_work_releases_the_gil():
    """While a call works in one thread, another Python thread keeps running."""
    ticks = 0
    done = threading.Event()

    def work():
        try:
            for _ in range(3):
                suanli.plan()
        finally:
            done.set()

    t = threading.Thread(target=work)
    start = time.perf_counter()
    t.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0)
    t.join()
    elapsed = time.perf_counter() - start
    # time.sleep(0) gives the GIL up each tick: were it held through the call, the loop
    # would get a tick in only between calls (about 60 a second here, measured with a
    # GIL-holding json.loads); detached, it spins freely (thousands a second).
    assert ticks / elapsed > 500, (ticks, elapsed)


def test_the_compare_chips_example_prints_a_table(tmp_path):
    script = REPO / "examples" / "python" / "compare_chips.py"
    p = subprocess.run(
        [sys.executable, str(script), "llama3-8b", "--gpu", "h100,a100,l4", "--no-plot"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert "h100-sxm" in p.stdout and "TPOT" in p.stdout
