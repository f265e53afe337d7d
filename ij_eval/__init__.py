"""ij-eval: independent evaluation of police Immediate Justice schemes for anti-social behaviour.

The public API: read and validate a data folder, run the pipeline, make synthetic data.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ij-eval")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from ij_eval.config import EvaluationConfig, load_config  # noqa: E402
from ij_eval.errors import IJEvalError, Problem, ValidationFailed  # noqa: E402
from ij_eval.schema import load_schemas  # noqa: E402
from ij_eval.validation import ValidationReport, load_tables, validate_folder  # noqa: E402

__all__ = [
    "__version__", "EvaluationConfig", "load_config", "IJEvalError", "Problem", "ValidationFailed",
    "load_schemas", "ValidationReport", "load_tables", "validate_folder",
]
