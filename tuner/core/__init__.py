"""The core: the spec, early-termination policies, sampling, the trainable registry, settings
and upload checks. Pure of our other layers: it imports nothing of tunedrive but the errors."""
