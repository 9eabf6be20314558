"""`dynafold prepare`."""

from __future__ import annotations

import click

from dynafold.errors import DynafoldError


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def prepare() -> None:
    """Not yet available."""
    raise DynafoldError("'dynafold prepare' is not yet available in this version")
