"""JSON as the core reads and writes it: the partial parser, exact strict text, depth limits.

A leaf layer: imports nothing else from streamscope.
"""
