"""Napster Companion API: real-time companions and digital twins. spec.py (light: what the registry reads),
provider.py (NapsterProvider), wire.py (request and answer models, errors, media rules), status.py (answers as job
updates)."""
