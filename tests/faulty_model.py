"""A pyfunc model whose behaviour a test switches at run time through a file.

Contents of the control file: ``ok`` (predict zeros), ``raise``, ``hang``
(until the file says otherwise, at most 30 s: a later test sharing the model's
thread must not queue behind a hang it did not ask for) or ``slow:SECONDS``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import mlflow.pyfunc


class FaultyModel(mlflow.pyfunc.PythonModel):
    def __init__(self, control: str) -> None:
        self.control = control

    def predict(self, context: Any, model_input: Any, params: Any = None) -> list[int]:
        mode = Path(self.control).read_text().strip()
        if mode == "raise":
            raise RuntimeError("model failure injected by the test")
        if mode == "hang":
            deadline = time.monotonic() + 30
            while (time.monotonic() < deadline
                   and Path(self.control).read_text().strip() == "hang"):
                time.sleep(0.05)
        if mode.startswith("slow:"):
            time.sleep(float(mode.split(":")[1]))
        return [7] * len(model_input)
