"""dynafold: learn, sample and score protein conformational ensembles."""

from __future__ import annotations

__version__ = "0.1.0"

from dynafold.ensemble import Ensemble, Topology  # noqa: E402
from dynafold.errors import DynafoldError, DynafoldInputError  # noqa: E402

__all__ = ["Ensemble", "Topology", "DynafoldError", "DynafoldInputError", "__version__", "load", "save"]


def __getattr__(name: str):
    """Expose ``dynafold.load`` / ``dynafold.save`` without importing readers at start-up."""
    if name in ("load", "save"):
        from dynafold import io

        return getattr(io, name)
    raise AttributeError(name)
