"""What a message cost: model rates from genai-prices, and a cost estimate from usage.

Imports only :mod:`streamscope.core.stream` (for usage).
"""
