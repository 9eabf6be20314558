"""Data curation, the ensemble store, features and targets for training.

Heavy modules (torch) are imported by the submodules that need them:
``dynafold.data.dataset`` and ``dynafold.data.features``.
"""
