"""Writes python/suanli/_commands.py (the functions) and python/suanli/__init__.pyi (their
stubs) from the request types' JSON Schemas, so every keyword argument is a request field of
the Rust API, with its description, and none is missed when a field is added there.

    python gen_api.py          # rewrite both files (needs the built package importable)
    python gen_api.py --check  # exit 1 if either is out of date (the test suite runs this)
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import sys
import textwrap
from pathlib import Path


def _native():
    """The built extension module, loaded without running the package's __init__ (which
    imports the very file this script writes)."""
    pkg = importlib.util.find_spec("suanli")
    if pkg is None or not pkg.submodule_search_locations:
        sys.exit("gen_api.py: build and install the package first (pip install .)")
    for folder in pkg.submodule_search_locations:
        for so in sorted(Path(folder).glob("_suanli*")):
            if so.suffix in (".so", ".pyd"):
                loader = importlib.machinery.ExtensionFileLoader("suanli._suanli", str(so))
                spec = importlib.util.spec_from_file_location("suanli._suanli", so, loader=loader)
                assert spec is not None
                module = importlib.util.module_from_spec(spec)
                loader.exec_module(module)
                return module
    sys.exit("gen_api.py: the suanli package has no built _suanli module")


_suanli = _native()

HERE = Path(__file__).resolve().parent
COMMANDS_PY = HERE / "python" / "suanli" / "_commands.py"
STUBS_PYI = HERE / "python" / "suanli" / "__init__.pyi"

#: The order of the public functions.
COMMANDS = ["flops", "infer", "train", "finetune", "serve", "simulate", "sweep", "plan", "audit", "validate", "catalog"]

#: Commands whose `model` is a model (a catalog id, a file or a config dict).
MODEL_COMMANDS = {"flops", "infer", "train", "finetune", "serve", "simulate", "sweep"}

#: Old field names still accepted: (old, current).
ALIASES = {"input_tokens": "input", "output_tokens": "output"}

SUMMARY = {
    "plan": "`plan`: a scenario's sizing report: compute, servers, time, cost, claims checked.",
    "audit": "`audit`: stated claims recomputed from their stated values.",
}

#: Parameters every model command documents the same way.
MODEL_DOC = (
    "A catalog id or alias (`suanli.catalog('models')` lists them); a path to a Hugging Face "
    "`config.json`, to a snapshot folder holding one, or to a TOML file with one `[[model]]` "
    "(read here and named as the CLI names it); or a dict holding a `config.json` (sent as "
    "`model_config`)."
)
SWEEP_MODEL_DOC = (
    "Models: one or a list of catalog ids, `config.json` files, snapshot folders or TOML "
    "files with one `[[model]]`."
)
DOCUMENT_DOC = {
    "plan": (
        "The scenario: a path to a TOML file, its TOML text, or a dict of the same keys. "
        "Default: the built-in ChatGPT (2023) scenario, as `suanli plan` without a file. Model "
        "files named inside the scenario are not read (use catalog ids or `catalog=`)."
    ),
    "audit": "The claims file: a path to a TOML file, its TOML text, or a dict of the same keys.",
}
CATALOG_DOC = (
    "Extra catalog entries that add to or replace the built-in ones (as `--catalog`): a path "
    "to a TOML file in the built-in catalog's format, its TOML text, a dict of the same tables, "
    "or a list of these, merged in order and each checked."
)
FRAME_DOC = {
    "sweep": "Return a pandas DataFrame, one row per combination (needs pandas).",
    "catalog": "Return the entries as a pandas DataFrame, nested figures as dotted columns (needs pandas).",
}
RETURNS = {
    "sweep": (
        "list of dict, or pandas.DataFrame",
        "One row per model x chip x lengths, as the JSON lines of `suanli sweep -f json`.",
    ),
    "catalog": ("dict, or pandas.DataFrame", "As `suanli catalog KIND -f json` / `catalog show ID -f json`."),
}


def schemas() -> dict:
    return {c: json.loads(_suanli.schema(c)) for c in COMMANDS}


def type_of(command: str, name: str, prop: dict) -> str:
    """The Python type a field takes (None aside: the signature adds it where it is optional)."""
    if name == "model" and command == "sweep":
        return "Union[str, os.PathLike, Sequence[Union[str, os.PathLike]]]"
    if name in ("model", "document"):
        return "Union[str, os.PathLike, Mapping[str, Any]]"
    if name in ("trace", "lengths_trace"):
        return "Union[str, os.PathLike]"
    if name == "calibration":
        return "Union[str, os.PathLike, Mapping[str, Any]]"
    if "$ref" in prop:
        return "Union[str, Sequence[str]]"
    t = prop.get("type")
    if t is None:
        return "Mapping[str, Any]"
    kinds = [k for k in (t if isinstance(t, list) else [t]) if k != "null"]
    py = {"integer": "int", "number": "float", "boolean": "bool", "string": "str"}
    if kinds == ["array"]:
        item = py.get(prop.get("items", {}).get("type"), "Any")
        return f"Union[{item}, Sequence[{item}]]"
    if len(kinds) == 1 and kinds[0] in py:
        return py[kinds[0]]
    return "Any"


def wrap(text: str, indent: str, hang: str = "", width: int = 96) -> str:
    text = " ".join(text.split())
    lines = textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent + hang)
    return "\n".join(lines)


def params(command: str, schema: dict) -> list:
    """(name, annotation, required, description) for each keyword argument, in signature order:
    the model (or document) first, then required fields, then the rest, alphabetically."""
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    first = [n for n in ("model", "document", "kind") if n in props]
    rest = sorted(n for n in props if n not in first)
    order = first + sorted(n for n in rest if n in required) + sorted(n for n in rest if n not in required)
    out = []
    for n in order:
        p = props[n]
        desc = p.get("description", "")
        if n == "model":
            desc = SWEEP_MODEL_DOC if command == "sweep" else MODEL_DOC
        elif n == "document":
            desc = DOCUMENT_DOC[command]
        elif n in ("trace", "lengths_trace"):
            desc += " A path to such a file is read."
        elif n == "calibration":
            desc += " A path to such a file is read; a dict (the parsed file) is sent as its JSON."
        if n in required and n in ALIASES:
            desc += f" Required (or its old name `{ALIASES[n]}`)."
        elif n in required and not (command == "plan" and n == "document"):
            desc += " Required."
        # A required field is a required keyword argument, but for one with an old name (either
        # name will do) and the plan's document (the built-in scenario by default).
        req = n in required and n not in ALIASES and not (command == "plan" and n == "document")
        out.append((n, type_of(command, n, p), req, desc))
        if n in ALIASES:
            old = ALIASES[n]
            out.append((old, type_of(command, n, p), False, f"Old name of `{n}` (still accepted)."))
    return out


def docstring(command: str, schema: dict, ps: list, indent: str) -> str:
    summary = SUMMARY.get(command, schema.get("description", ""))
    lines = [wrap(summary, indent).lstrip(), ""]
    lines.append(f"{indent}Keyword arguments are the request fields of `suanli {command} -f json` and of")
    lines.append(f"{indent}`POST /api/{command}`; None (the default) leaves a field out: the planner's default.")
    lines.append("")
    lines.append(f"{indent}Args:")
    for n, ann, req, desc in ps:
        lines.append(wrap(f"{n}: {desc}", indent + "    ", "    "))
    lines.append(wrap(f"catalog: {CATALOG_DOC}", indent + "    ", "    "))
    if command in FRAME_DOC:
        lines.append(wrap(f"as_frame: {FRAME_DOC[command]}", indent + "    ", "    "))
    lines.append("")
    rtype, rdoc = RETURNS.get(command, ("dict", f"The answer, as `suanli {command} -f json` prints it."))
    lines.append(f"{indent}Returns:")
    lines.append(wrap(f"{rtype}: {rdoc}", indent + "    ", "    "))
    lines.append("")
    lines.append(f"{indent}Raises:")
    lines.append(f"{indent}    InputError: bad input; `.field` names the argument at fault.")
    lines.append(f"{indent}    Infeasible: valid input with no solution; `.answer` holds the answer when there is one.")
    return '"""' + "\n".join(lines) + f'\n{indent}"""'


def signature(command: str, ps: list) -> str:
    """The parameter list: the model (document, kind) positional-or-keyword, the rest
    keyword-only; a required field has no default, an optional one defaults to None."""
    out = []
    for n, ann, req, _ in ps:
        if "*" not in out and n not in ("model", "document", "kind"):
            out.append("*")
        out.append(f"{n}: {ann}" if req else f"{n}: Optional[{ann}] = None")
    if "*" not in out:
        out.append("*")
    out.append("catalog: Union[str, os.PathLike, Mapping[str, Any], Sequence[Any], None] = None")
    if command in FRAME_DOC:
        out.append("as_frame: bool = False")
    return ", ".join(out)


def function(command: str, schema: dict, stub: bool) -> str:
    ps = params(command, schema)
    ret = {"sweep": "Any", "catalog": "Any"}.get(command, "Dict[str, Any]")
    head = f"def {command}({signature(command, ps)}) -> {ret}:"
    doc = docstring(command, schema, ps, "    ")
    if stub and command in FRAME_DOC:
        plain = signature(command, ps).replace("as_frame: bool = False", "as_frame: Literal[False] = False")
        framed = signature(command, ps).replace("as_frame: bool = False", "as_frame: Literal[True]")
        rows = "List[Dict[str, Any]]" if command == "sweep" else "Dict[str, Any]"
        return (
            f"@overload\ndef {command}({plain}) -> {rows}:\n    {doc}\n    ...\n"
            f"@overload\ndef {command}({framed}) -> Any:\n    {doc}\n    ...\n"
        )
    if stub:
        return f"{head}\n    {doc}\n    ...\n"
    fields = ", ".join(f'"{n}": {n}' for n, *_ in ps)
    lists = tuple(n for n, ann, *_ in ps if ann in ("Union[int, Sequence[int]]", "Union[str, Sequence[str]]"))
    if command == "sweep":
        lists = lists + ("model",)
    body = [f"    fields = {{{fields}}}"]
    if command == "plan":
        body.append("    if document is None:")
        body.append("        fields[\"document\"] = _suanli.CHATGPT_2023")
    ints = tuple(n for n, ann, *_ in ps if ann in ("int", "Union[int, Sequence[int]]"))
    call = f"_core.call({command!r}, fields, catalog, {lists!r}, {ints!r})"
    if command == "sweep":
        body.append(f"    answer = {call}")
        body.append("    head = {\"schema_version\": answer[\"schema_version\"], \"kind\": answer[\"kind\"]}")
        body.append("    rows = [{**head, **row} for row in answer[\"rows\"]]")
        body.append("    return _core.frame(rows, \"sweep\") if as_frame else rows")
    elif command == "catalog":
        body.append(f"    answer = {call}")
        body.append("    if not as_frame:")
        body.append("        return answer")
        body.append("    return _core.frame(answer[\"entries\"] if \"entries\" in answer else [answer], \"catalog\")")
    else:
        body.append(f"    return {call}")
    return f"{head}\n    {doc}\n" + "\n".join(body) + "\n"


HEADER_PY = '''"""suanli's functions, one per command (generated by gen_api.py from the request types: do
not edit by hand; run `python gen_api.py` after a field changes in suanli-api)."""

# fmt: off
from __future__ import annotations

import os
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from . import _core, _suanli

__all__ = {all}
'''

HEADER_PYI = '''"""suanli: how much compute, how many servers, how long and what cost for LLMs.

Every function takes the request fields of `suanli <command> -f json` as keyword arguments
and returns its JSON answer as dicts and lists. (Generated by gen_api.py: do not edit.)
"""

# fmt: off
import os
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union, overload

__version__: str
__all__ = [
    "flops", "infer", "train", "finetune", "serve", "simulate", "sweep", "plan", "audit", "validate", "catalog",
    "SuanliError", "InputError", "Infeasible", "InternalError", "__version__",
]

class SuanliError(Exception):
    """Base of suanli's errors."""

    message: str
    """What went wrong, in the request's terms (one line)."""
    field: Optional[str]
    """The keyword argument at fault (dotted for a nested field), or None."""
    answer: Any
    """Infeasible only: the answer that does not work out (a dict), when there is one."""
    status: int
    """400 bad input, 422 no solution, 500 internal error."""
    def __init__(
        self, message: str, field: Optional[str] = None, answer: Any = None, status: Optional[int] = None
    ) -> None: ...

class InputError(SuanliError, ValueError):
    """Bad input: a value out of range, an unknown id, a missing or unknown field; `.field` names it."""

class Infeasible(SuanliError):
    """Valid input with no solution (does not fit, cannot meet the targets); `.answer` when there is one."""

class InternalError(SuanliError, RuntimeError):
    """A bug in suanli (a panic caught at the boundary)."""

'''


def render() -> tuple:
    s = schemas()
    py = HEADER_PY.format(all=repr(COMMANDS))
    pyi = HEADER_PYI
    for c in COMMANDS:
        py += "\n\n" + function(c, s[c], stub=False)
        pyi += "\n" + function(c, s[c], stub=True)
    return py, pyi


def main() -> int:
    py, pyi = render()
    check = "--check" in sys.argv[1:]
    stale = [p for p, text in ((COMMANDS_PY, py), (STUBS_PYI, pyi)) if not p.exists() or p.read_text() != text]
    if check:
        for p in stale:
            print(f"{p.relative_to(HERE)} is out of date: run `python gen_api.py`", file=sys.stderr)
        return 1 if stale else 0
    for p, text in ((COMMANDS_PY, py), (STUBS_PYI, pyi)):
        p.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
