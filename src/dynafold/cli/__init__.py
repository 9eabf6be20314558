"""The ``dynafold`` command line: a thin layer that parses and calls the library.

Subcommands live in their own modules and are imported only when run, so
``dynafold --help`` starts fast and never imports torch or lightning.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import click

from dynafold import __version__
from dynafold.cli.heap import keep_freed_memory
from dynafold.cli.threads import THREADS_ENV, configure_threads
from dynafold.errors import DynafoldError

# command name -> (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "prepare": ("dynafold.cli.prepare", "prepare", "Curate MD, NMR and X-ray sources into a training store."),
    "train": ("dynafold.cli.train", "train", "Train an ensemble model on a prepared store."),
    "predict": ("dynafold.cli.predict", "predict", "Sample an ensemble and per-residue flexibility for a structure."),
    "evaluate": ("dynafold.cli.evaluate", "evaluate", "Score a predicted ensemble against a reference ensemble."),
    "benchmark": ("dynafold.cli.benchmark", "benchmark", "Score ensemble generators on a list of MD targets."),
    "info": ("dynafold.cli.info", "info", "Summarise a structure, trajectory or dataset file."),
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, _, help_) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dynafold")
@click.option("--threads", type=click.IntRange(1), envvar=THREADS_ENV, show_envvar=True,
              help="CPU threads (default: OMP_NUM_THREADS when set, else the cores other jobs leave idle, "
                   "at most 8).")
def cli(threads: int | None) -> None:
    """dynafold: learn, sample and score protein conformational ensembles."""
    configure_threads(threads)
    keep_freed_memory()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as one line ``dynafold: warning: ...``, without the source line."""
    click.echo(f"dynafold: warning: {' '.join(str(message).split())}", err=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning dynafold errors into one line and exit code 2."""
    warnings.showwarning = _show_warning
    try:
        cli.main(args=argv, prog_name="dynafold", standalone_mode=False)
    except DynafoldError as err:
        click.echo(f"dynafold: error: {' '.join(str(err).split())}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("dynafold: aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("dynafold: interrupted", err=True)
        sys.exit(130)
