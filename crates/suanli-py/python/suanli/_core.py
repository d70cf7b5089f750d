"""The runtime under every suanli function: keyword arguments to a JSON request, files read
here (the Rust side does no I/O), the answer parsed back, errors mapped to exceptions."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from . import _suanli
from ._errors import Infeasible, InputError, InternalError, SuanliError

#: Fields whose value may also be a path to a file holding the text.
_TEXT_FILE_FIELDS = ("trace", "lengths_trace", "document", "calibration")


def _error(status: int, field: Optional[str], message: str, answer: Optional[str]) -> SuanliError:
    parsed = json.loads(answer) if answer is not None else None
    if status == 422:
        return Infeasible(message, field, parsed, status)
    if status >= 500:
        return InternalError(message, field, parsed, status)
    return InputError(message, field, parsed, status)


def _read(path: "os.PathLike[str] | str", field: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"`{field}`: cannot read {os.fspath(path)}: {e}", field) from None


def _names_a_file(value: Any) -> bool:
    """A model argument that names a file or folder rather than a catalog id (the CLI's rule:
    a `.json` or `.toml` name, or an existing folder)."""
    if isinstance(value, os.PathLike):
        return True
    if not isinstance(value, str):
        return False
    lower = value.lower()
    return lower.endswith(".json") or lower.endswith(".toml") or os.path.isdir(value)


def _model_file(value: Any, field: str = "model") -> Tuple[str, str]:
    """(the path the request names, its text) for a config.json, a snapshot folder holding
    one, or a TOML file with one [[model]]."""
    path = os.fspath(value)
    if os.path.isdir(path):
        cfg = os.path.join(path, "config.json")
        if not os.path.isfile(cfg):
            raise InputError(
                f"`{field}`: {path}: a snapshot folder must hold a config.json (none found)", field
            )
        path = cfg
    return path, _read(path, field)


def _models(fields: Dict[str, Any], command: str) -> List[Tuple[str, str]]:
    """Resolves `model`: a dict is a config.json (sent as `model_config`); a path is read here
    and sent with the request, so the model is named as the CLI names it."""
    files: List[Tuple[str, str]] = []
    model = fields.get("model")
    if model is None:
        return files
    if isinstance(model, Mapping):
        if command == "sweep":
            raise InputError("`model`: sweep takes catalog ids or model files, not a config dict", "model")
        if fields.get("model_config") is not None:
            raise InputError("`model`: give a config dict as model or model_config, not both", "model")
        fields["model_config"] = dict(model)
        del fields["model"]
        return files
    items = [model] if isinstance(model, (str, os.PathLike)) else list(model)
    names: List[Any] = []
    for m in items:
        if _names_a_file(m):
            name, text = _model_file(m)
            files.append((name, text))
            names.append(name)
        else:
            names.append(m)
    fields["model"] = names if command == "sweep" else names[0]
    return files


def _catalog_files(catalog: Any) -> List[Tuple[str, str, str]]:
    """User catalogs as (origin, format, text): a path to a TOML file, TOML text, a dict of
    the same tables, or a list of these (merged in order, like repeated --catalog)."""
    if catalog is None:
        return []
    if isinstance(catalog, (list, tuple)):
        return [f for c in catalog for f in _catalog_files(c)]
    if isinstance(catalog, Mapping):
        try:
            return [("catalog", "json", json.dumps(catalog, allow_nan=False))]
        except (TypeError, ValueError) as e:
            raise InputError(f"`catalog`: not a catalog: {e}", "catalog") from None
    if isinstance(catalog, os.PathLike) or (isinstance(catalog, str) and "\n" not in catalog):
        path = os.fspath(catalog)
        return [(path, "toml", _read(path, "catalog"))]
    if isinstance(catalog, str):
        return [("catalog", "toml", catalog)]
    raise InputError("`catalog`: a path to a TOML file, TOML text, a dict, or a list of these", "catalog")


def _text_field(value: Any, field: str) -> Any:
    """A trace or document given as a path is read; text and dicts pass as they are."""
    if isinstance(value, os.PathLike):
        return _read(value, field)
    if isinstance(value, str) and "\n" not in value and os.path.isfile(value):
        return _read(value, field)
    return value


def _plain(value: Any) -> Any:
    """numpy scalars and arrays, paths and tuples as JSON values."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _encode(fields: Mapping[str, Any]) -> str:
    parts = []
    for k, v in fields.items():
        try:
            parts.append(f"{json.dumps(k)}: {json.dumps(v, allow_nan=False, default=_plain)}")
        except (TypeError, ValueError) as e:
            raise InputError(f"`{k}` = {v!r}: not a JSON value ({e})", k) from None
    return "{" + ", ".join(parts) + "}"


def _integral(v: Any) -> Any:
    """1e12 or "1_000" for a count, as the command line takes it: an integral float (or such a
    number's text) as an int."""
    if isinstance(v, str):
        try:
            v = float(v.replace("_", ""))
        except ValueError:
            return v
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return int(v)
    if isinstance(v, list):
        return [_integral(x) for x in v]
    return v


def call(
    command: str,
    fields: Mapping[str, Any],
    catalog: Any = None,
    lists: Iterable[str] = (),
    ints: Iterable[str] = (),
) -> Any:
    """Answers `command` for the request `fields` (None values are left out: the planner's
    default); returns the parsed JSON answer. A `lists` field takes one value, a list, or
    (as on the command line) a string of values separated by commas; an `ints` field takes
    an integral float too (1e6).

    Raises InputError (bad input, `.field` named), Infeasible (no solution, `.answer` when
    there is one) or InternalError (a bug)."""
    body = {k: v for k, v in fields.items() if v is not None}
    for k in lists:
        v = body.get(k)
        if v is None or isinstance(v, Mapping):
            continue
        if isinstance(v, str):
            body[k] = [x.strip() for x in v.split(",") if x.strip()]
        elif isinstance(v, (bytes, int, float)) or not isinstance(v, Iterable):
            body[k] = [v]
        elif not isinstance(v, (list, tuple)):
            body[k] = list(v)
    for k in ints:
        if k in body:
            body[k] = _integral(body[k])
    for k in _TEXT_FILE_FIELDS:
        if k in body:
            body[k] = _text_field(body[k], k)
    if isinstance(body.get("calibration"), Mapping):
        body["calibration"] = json.dumps(body["calibration"])
    models = _models(body, command)
    catalogs = _catalog_files(catalog)
    try:
        text = _suanli.call(command, _encode(body), catalogs, models)
    except _suanli.CallError as e:
        raise _error(*e.args) from None
    return json.loads(text)


def frame(rows: Sequence[Mapping[str, Any]], what: str) -> Any:
    """A pandas DataFrame of `rows` (nested dicts become dotted columns)."""
    try:
        import pandas  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError(
            f"{what}(..., as_frame=True) needs pandas, which is not installed: `pip install pandas`, "
            f"or call {what}() without as_frame for a list of dicts"
        ) from e
    return pandas.json_normalize(list(rows))
