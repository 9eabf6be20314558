"""Typed errors. The library raises these; the CLI prints one line and exits 2."""

from __future__ import annotations


class DynafoldError(Exception):
    """Base class of every error dynafold raises on purpose."""


class DynafoldInputError(DynafoldError):
    """A user-supplied file or argument cannot be used.

    The message names the file (when there is one) and the problem.
    """

    def __init__(self, message: str, path: object | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class UnknownFormatError(DynafoldInputError):
    """The file extension or content matches no reader."""


class TruncatedFileError(DynafoldInputError):
    """The file ends early or cannot be parsed."""


class TopologyMismatchError(DynafoldInputError):
    """Topology and coordinates disagree (atom counts, residues, sequence)."""


class EmptyEnsembleError(DynafoldInputError):
    """A trajectory or structure holds no usable conformer."""


class NoProteinError(DynafoldInputError):
    """No protein atoms were found."""


class MissingAtomsError(DynafoldInputError):
    """Required atoms (for example the backbone) are absent."""


class ConfigError(DynafoldInputError):
    """A setting (model size, crop mode, ...) is unknown or out of range."""


class ResourceError(DynafoldError):
    """A job would not fit in the memory available."""


class LigandError(DynafoldInputError):
    """A ligand's chemistry cannot be resolved (unknown code without coordinates, ...)."""
