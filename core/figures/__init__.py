"""A run's figures, computed once per frame (events, times, tokens, cost, cache rates), each
exact, an estimate or waiting, and the one way each reads as text.

Imports json, stream and pricing.
"""
