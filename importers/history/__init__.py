"""Importers of the history of the tools being left: incidents, bugs."""
