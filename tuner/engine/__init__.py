"""The engine: one experiment's driver on Ray Tune (searchers, the policy adapter, the store
recorder, the per-trial wrapper)."""
