"""The demo organisation behind ``manage.py seed_demo``: data in YAML, loader in ``seed``."""
