"""The service: submission, the dispatcher that starts one driver per queued experiment, and
the launchers it starts them with."""
