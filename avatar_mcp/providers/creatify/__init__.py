"""Creatify: custom avatars (personas_v2) and lipsync videos. spec.py (light: what the registry reads), provider.py
(CreatifyProvider), wire.py (request and answer models, errors), status.py (answers as job updates)."""
