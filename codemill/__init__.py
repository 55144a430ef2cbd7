"""codemill: curate raw source code into clean, deduplicated, annotated training sets for code models."""

from codemill.api import Applied, apply, make_op, run
from codemill.recipe import RecipeError, load_recipe
from codemill.runner import RunError, RunResult

__version__ = "0.1.0"
__all__ = ["Applied", "RecipeError", "RunError", "RunResult", "apply", "load_recipe", "make_op", "run",
           "__version__"]
