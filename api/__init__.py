"""The FastAPI control plane (REST API over the store). Built in the control-plane issue."""
