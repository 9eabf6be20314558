"""Training: losses, presets, the Lightning module, checkpoint and EMA callbacks.

Lightning is imported only by module.py, callbacks.py and quiet.py, which ``run.train``
and the CLI import when a run starts; losses, configs and state files do not need it.
"""
