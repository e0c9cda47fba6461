"""fakeid's Hydra plugins (launchers, a sweeper); Hydra accepts plugins only from the `hydra_plugins` namespace."""
