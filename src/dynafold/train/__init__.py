"""Training: losses, presets, the Lightning module, checkpoint and EMA callbacks.

Lightning is imported only by module.py and callbacks.py, which ``run.train``
imports when a run starts; losses, configs and state files do not need it.
"""
