"""Batch scoring: many runners at once (the block engine), batch files in and out, local and Dask workers.

Builds on the core only (see ARCHITECTURE.md).
"""
