"""Runware: HeyGen Avatar V as an async videoInference task. spec.py (light: what the registry reads), provider.py
(RunwareProvider), wire.py (task and answer models, errors), status.py (answers as job updates)."""
