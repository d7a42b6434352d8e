"""Streams in and out: sources, recordings (write, read, replay), the gallery, re-sending.

Imports the layers below it: json, schema, wire, stream, pricing.
"""
