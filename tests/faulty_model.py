"""A pyfunc model whose behaviour a test switches at run time through a file.

Contents of the control file: ``ok`` (predict zeros), ``raise``, ``hang``
(sleep 30 s) or ``slow:SECONDS``.
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
            time.sleep(30)
        if mode.startswith("slow:"):
            time.sleep(float(mode.split(":")[1]))
        return [7] * len(model_input)
