"""The HTTP service: the app factory, routes by resource, schemas, problem responses, limits and logs.

The one layer that imports Flask (see ARCHITECTURE.md).
"""
