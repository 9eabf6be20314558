"""`dynafold evaluate`."""

from __future__ import annotations

import click

from dynafold.errors import DynafoldError


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def evaluate() -> None:
    """Not yet available."""
    raise DynafoldError("'dynafold evaluate' is not yet available in this version")
