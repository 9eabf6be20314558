"""Lightning's own messages (tips, device banners, known harmless warnings), silenced within a scope."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

# third-party messages that are not the user's business
QUIET_LOG_STARTS = ("💡 Tip", "GPU available", "TPU available", "HPU available", "`Trainer.fit` stopped")
QUIET_WARNINGS = (r".*LeafSpec.*is deprecated", r".*IterableDataset.*has `__len__` defined")


def _not_noise(record: logging.LogRecord) -> bool:
    return not record.getMessage().lstrip().startswith(QUIET_LOG_STARTS)


@contextmanager
def quiet_lightning() -> Iterator[None]:
    """Silence Lightning's tips, device banners and known harmless warnings while training."""
    import lightning.pytorch  # noqa: F401  (it installs its log handler when imported)

    handlers = logging.getLogger("lightning.pytorch").handlers + logging.getLogger().handlers
    with warnings.catch_warnings():
        for pattern in QUIET_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        for handler in handlers:
            handler.addFilter(_not_noise)
        try:
            yield
        finally:
            for handler in handlers:
                handler.removeFilter(_not_noise)
