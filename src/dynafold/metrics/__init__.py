"""Metrics: lDDT, RMSF, correlations, ensemble precision/recall/diversity, evaluation."""

from dynafold.metrics.correlation import correlation_summary, pearson, rmse, spearman
from dynafold.metrics.ensemble import (lddt_diversity, lddt_precision, lddt_recall,
                                       pairwise_rmsd_stats)
from dynafold.metrics.evaluate import evaluate_ensembles
from dynafold.metrics.lddt import LddtResult, lddt_matrix
from dynafold.metrics.match import match_ensembles
from dynafold.metrics.rmsf import bfactor_to_rmsf, residue_rmsf, rmsf, rmsf_to_bfactor
from dynafold.metrics.superpose import fit_to_mean, kabsch_fit, pairwise_rmsd

__all__ = [
    "LddtResult", "bfactor_to_rmsf", "correlation_summary", "evaluate_ensembles", "fit_to_mean",
    "kabsch_fit", "lddt_diversity", "lddt_matrix", "lddt_precision", "lddt_recall",
    "match_ensembles", "pairwise_rmsd", "pairwise_rmsd_stats", "pearson", "residue_rmsf",
    "rmse", "rmsf", "rmsf_to_bfactor", "spearman",
]
