"""Training: losses, presets, the Lightning module, checkpoint and EMA callbacks.

Lightning is imported only by the modules that train (module.py, run.py).
"""
