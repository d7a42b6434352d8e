"""The Messages API's wire: SDK event shapes, Server-Sent Events, the request, credentials.

Imports only :mod:`streamscope.core.json`.
"""
