"""Tools the model can call: Python functions with a JSON Schema made from their signature.

Imports json, schema and stream.
"""
