"""Runs side by side: what differs between them, and why a prompt cache missed.

Imports every layer below it (json to loop).
"""
