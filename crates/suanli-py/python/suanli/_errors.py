"""The exceptions every suanli function raises."""

from __future__ import annotations

from typing import Any, Optional


class SuanliError(Exception):
    """Base of suanli's errors.

    Attributes:
        message: what went wrong, in the request's terms (one line).
        field: the request field (keyword argument) at fault, or None.
        status: the HTTP-style status: 400 bad input, 422 no solution, 500 internal error.
        answer: for Infeasible, the answer that does not work out (the same dict a success
            returns), when there is one; else None.
    """

    status = 0

    def __init__(
        self, message: str, field: Optional[str] = None, answer: Any = None, status: Optional[int] = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.answer = answer
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class InputError(SuanliError, ValueError):
    """Bad input: a value out of range, an unknown id, a missing or unknown field.

    `.field` names the keyword argument at fault (dotted for a nested one, e.g.
    `model_config.num_hidden_layers`), when one is.
    """

    status = 400


class Infeasible(SuanliError):
    """Valid input with no solution: a layout that does not fit, targets no fleet meets.

    `.answer` holds the answer that does not work out (e.g. the memory that overflows), when
    there is one.
    """

    status = 422


class InternalError(SuanliError, RuntimeError):
    """A bug in suanli (a panic caught at the boundary); please report it."""

    status = 500
