"""Importers that bring an organisation's schedules, history and configuration into Rota."""
