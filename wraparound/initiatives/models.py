"""Models: see the issue; the helper building this app fills it."""
