"""The reducer: one stream's events become its state (blocks, usage, status, problems).

Imports :mod:`~streamscope.core.json`, :mod:`~streamscope.core.schema` and
:mod:`~streamscope.core.wire`.
"""
