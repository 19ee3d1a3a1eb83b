"""Whose fault is a failed prediction: the client's input, or the model's?

Only model faults may count against a circuit breaker (and so toward an
automatic rollback); an input error is the client's and becomes a 422 naming
the column. Getting this wrong in the lenient direction lets any client take a
model offline with one odd value (``1e300`` into a forest that casts to
float32), so the rule is:

1. **Validate before predicting.** ``gateway.schema`` checks every value
   against the signature (types, finiteness, shape) and coerces what MLflow's
   scoring server coerces (an integer in a ``double`` column is a double), so
   most bad input never reaches a model.
2. **Classify what still fails by where it was raised, not by its text.** An
   exception counts as the input's fault when the frame that raised it belongs
   to an input-validation routine: scikit-learn's ``sklearn.utils.validation``
   (``check_array``, the finiteness and feature-count checks) or MLflow's
   schema enforcement (``mlflow.models.utils._enforce_*`` and pyfunc's
   ``_validate_prediction_input``). Messages change between versions and are
   localised by some libraries; module and function names are part of the
   call path and stable. A ``ValueError`` raised by the model's own code (a
   bug, a missing file) is a model fault even if the input triggered it: we
   cannot tell, and a breaker that never opens on a broken model would be worse.
3. **Never let one client's row fail another's.** When a micro-batch fails,
   the batcher retries each request's rows alone, so only the request that
   carries the bad row sees the error (see ``gateway.batcher``).

Timeouts are always model faults: a model that hangs on some input is still
a model that hangs.
"""

from __future__ import annotations

import math
from types import TracebackType
from typing import Any

from pilotdeck.domain.errors import FieldError, ValidationFailed

FLOAT32_MAX = 3.4028234663852886e38
MAX_FIELDS = 20

# (module, function or "*"): a frame here raising means the input was refused.
_VALIDATION_FRAMES = {
    ("sklearn.utils.validation", "*"),
    ("mlflow.pyfunc", "_validate_prediction_input"),
    ("mlflow.models.utils", "*"),
    ("mlflow.types.schema", "*"),
}
_INPUT_TYPES = (ValueError, TypeError)


class InputRejected(ValidationFailed):
    """The model's own input validation refused the request: a 422 that never
    counts against the model."""


def _frames(tb: TracebackType | None) -> list[tuple[str, str]]:
    out = []
    while tb is not None:
        out.append((str(tb.tb_frame.f_globals.get("__name__", "")), tb.tb_frame.f_code.co_name))
        tb = tb.tb_next
    return out


def _in_validation(module: str, function: str) -> bool:
    return any(module == m and (f == "*" or f == function) for m, f in _VALIDATION_FRAMES)


def is_input_error(exc: BaseException) -> bool:
    """True when ``exc`` was raised by an input-validation routine (see module doc)."""
    if isinstance(exc, InputRejected):
        return True
    if not isinstance(exc, _INPUT_TYPES) and not any(
            c.__name__ == "MlflowException" for c in type(exc).__mro__):
        return False
    frames = _frames(exc.__traceback__)
    return bool(frames) and _in_validation(*frames[-1])


def _column_values(rows: Any, j: int) -> list[Any]:
    if hasattr(rows, "shape"):  # the numeric fast path's float array
        return [float(v) for v in rows[:, j]]
    return [r[j] for r in rows]


def _why(v: Any, float32: bool, missing: bool) -> str | None:
    """Why the model may have refused ``v``, judged against what its error was about."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "is missing (null or NaN), which this model cannot take" if missing else None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    if math.isinf(v):
        return "must be finite"
    if float32 and abs(v) > FLOAT32_MAX:
        return "is too large for this model (it computes in float32, max about 3.4e38)"
    return None


def rejection(exc: BaseException, rows: Any, names: list[str] | None) -> InputRejected:
    """A 422 for an input error, naming the rows and columns at fault when they can
    be found from the values themselves; never echoing a value or the library's
    message (which may quote the input)."""
    if isinstance(exc, InputRejected):
        return exc
    text = str(exc)
    fields: list[FieldError] = []
    if names:
        float32 = "float32" in text
        missing = "NaN" in text or "missing" in text
        for j, name in enumerate(names):
            try:
                values = _column_values(rows, j)
            except (IndexError, TypeError, KeyError):
                break
            for i, v in enumerate(values):
                why = _why(v, float32, missing)
                if why:
                    fields.append(FieldError(f"[{i}].{name}", why))
                    break  # one per column is enough to fix the request
            if len(fields) >= MAX_FIELDS:
                break
        if not fields:
            fields = [FieldError(f"columns.{n}", "was refused by the model's input "
                                 "validation") for n in names if f"'{n}'" in text
                      or f"column {n}" in text or f"column '{n}'" in text][:MAX_FIELDS]
    if not fields:
        fields = [FieldError("inputs", f"were refused by the model's input validation "
                             f"({exc.__class__.__name__})")]
    return InputRejected("the model cannot take this input", fields)
