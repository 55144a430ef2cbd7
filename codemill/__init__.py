"""codemill: curate raw source code into clean, deduplicated, annotated training sets for code models.

The names below are loaded on first use, so a worker process that imports one op module does not
pay for the driver's (recipe loading, progress bars, metrics server).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from codemill.api import Applied, apply, make_op, run
    from codemill.recipe import RecipeError, load_recipe
    from codemill.runner import RunError, RunResult

__version__ = "0.1.0"
__all__ = ["Applied", "RecipeError", "RunError", "RunResult", "apply", "load_recipe", "make_op", "run",
           "__version__"]

_WHERE = {"Applied": "api", "apply": "api", "make_op": "api", "run": "api", "RecipeError": "recipe",
          "load_recipe": "recipe", "RunError": "runner", "RunResult": "runner"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"codemill.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'codemill' has no attribute {name!r}")
