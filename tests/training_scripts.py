"""Scripts of ``training/`` loaded as modules for tests (they are not part of the package)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

TRAINING = Path(__file__).resolve().parents[1] / "training"


@contextmanager
def training_script(name: str) -> Iterator[ModuleType]:
    """``training/<name>.py`` as a module, registered in ``sys.modules`` while in use (its dataclasses
    look their module up there)."""
    spec = importlib.util.spec_from_file_location(f"{name}_script", TRAINING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]
