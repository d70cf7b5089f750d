"""suanli: how much compute, how many servers, how long and what cost for LLMs.

Every function takes the request fields of `suanli <command> -f json` as keyword arguments
and returns its JSON answer as dicts and lists (the same keys):

    >>> import suanli
    >>> r = suanli.infer("llama3-8b", gpu="h100", input_tokens=1000, output_tokens=200)
    >>> r["output_tokens_per_s_per_gpu"], r["tpot_s"]

Bad input raises InputError (`.field` names the argument), a request with no solution
raises Infeasible (`.answer` holds what did not work out, when there is one).
"""

from ._commands import audit, catalog, finetune, flops, infer, plan, serve, simulate, sweep, train, validate
from ._errors import Infeasible, InputError, InternalError, SuanliError
from ._suanli import __version__

__all__ = [
    "flops",
    "infer",
    "train",
    "finetune",
    "serve",
    "simulate",
    "sweep",
    "plan",
    "audit",
    "validate",
    "catalog",
    "SuanliError",
    "InputError",
    "Infeasible",
    "InternalError",
    "__version__",
]
