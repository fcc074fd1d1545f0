"""The static web dashboard served by the API at ``/``. Built in the dashboard issue."""
