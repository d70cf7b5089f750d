"""as_frame=True gives a pandas DataFrame when pandas is installed, a clear ImportError when it
is not; without as_frame the answers are plain lists and dicts either way."""

from __future__ import annotations

import os
import sys

import pytest

import suanli

SWEEP = dict(model=["llama3-8b", "llama3-70b"], gpu=["h100", "a100"], input_tokens=1000, output_tokens=200)


def _pandas():
    if os.environ.get("SUANLI_EXPECT_PANDAS") == "1":
        import pandas  # .ci/run installed it: its absence is a failure, not a skip

        return pandas
    return pytest.importorskip("pandas")


def test_sweep_frame_with_pandas():
    pd = _pandas()
    rows = suanli.sweep(**SWEEP)
    df = suanli.sweep(**SWEEP, as_frame=True)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(rows) == 4
    assert df["output_tokens_per_s_per_gpu"].tolist() == [r["output_tokens_per_s_per_gpu"] for r in rows]
    assert set(df.columns) == set(rows[0])


def test_catalog_frame_with_pandas():
    pd = _pandas()
    listed = suanli.catalog("accelerators")
    df = suanli.catalog("accelerators", as_frame=True)
    assert isinstance(df, pd.DataFrame)
    assert df["id"].tolist() == [e["id"] for e in listed["entries"]]
    assert "memory_gb.v" in df.columns
    one = suanli.catalog(id="h100", as_frame=True)
    assert isinstance(one, pd.DataFrame) and len(one) == 1


@pytest.fixture
def no_pandas(monkeypatch):
    """`import pandas` fails as when it is not installed."""
    monkeypatch.setitem(sys.modules, "pandas", None)


def test_without_pandas_lists_of_dicts_and_a_clear_import_error(no_pandas):
    rows = suanli.sweep(**SWEEP)
    assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows) and len(rows) == 4
    listed = suanli.catalog("models")
    assert isinstance(listed, dict) and isinstance(listed["entries"], list)
    with pytest.raises(ImportError, match="pip install pandas"):
        suanli.sweep(**SWEEP, as_frame=True)
    with pytest.raises(ImportError, match="needs pandas"):
        suanli.catalog("servers", as_frame=True)


def test_the_package_imports_without_pandas(tmp_path):
    """A fresh interpreter in which pandas cannot be imported still imports suanli and answers."""
    import subprocess

    code = (
        "import sys; sys.modules['pandas'] = None\n"
        "import suanli\n"
        "rows = suanli.sweep('llama3-8b', gpu='h100', input_tokens=100, output_tokens=10)\n"
        "assert isinstance(rows, list) and isinstance(rows[0], dict)\n"
        "try:\n"
        "    suanli.sweep('llama3-8b', gpu='h100', input_tokens=100, output_tokens=10, as_frame=True)\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "ImportError: sweep(..., as_frame=True) needs pandas" in out.stdout
