"""Tool arguments checked against their JSON Schema, live while they stream and at the end.

Imports only :mod:`streamscope.core.json`.
"""
