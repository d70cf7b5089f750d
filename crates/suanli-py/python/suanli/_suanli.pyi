"""The extension module (Rust, PyO3): the JSON front door of suanli's typed API. Use the
functions of the `suanli` package; these are what they are built on."""

from typing import List, Optional, Tuple

__all__ = ["call", "schema", "_panic_for_tests", "CallError", "__version__", "CHATGPT_2023"]
__version__: str
CHATGPT_2023: str
"""The built-in scenario's TOML text (what `suanli plan` plans without a file)."""

class CallError(Exception):
    """A failed call; args are (status, field, message, answer_json)."""

    args: Tuple[int, Optional[str], str, Optional[str]]

def call(
    command: str,
    body: str,
    catalogs: List[Tuple[str, str, str]] = ...,
    models: List[Tuple[str, str]] = ...,
) -> str:
    """Answers `command` for the JSON request `body` over the built-in catalog plus `catalogs`
    ((origin, "toml" | "json", text) each) and `models` ((path, text) each, a config.json or a
    TOML `[[model]]` named by that path in the body's `model`): the JSON of
    `suanli <command> -f json`. Releases the GIL while it works.

    Raises CallError with status 400 (bad input), 404 (no such command), 422 (no solution)
    or 500 (a panic, caught)."""

def schema(command: str) -> str:
    """The JSON Schema of `command`'s request type."""

def _panic_for_tests() -> str:
    """Panics inside the guard `call` runs in: raises CallError with status 500."""
