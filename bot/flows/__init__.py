"""Guided flows: one engine (`engine.py`) and each flow declared as steps over a draft."""
