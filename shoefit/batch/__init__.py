"""Batch scoring: many runners at once (the block engine), batch files in and out, local and Dask workers.

Builds on the core only (see ARCHITECTURE.md).
"""

# Runners read, scored and written at a time by `shoefit score`: the engine's work per chunk is numpy
# calls over its runners, whose fixed costs a chunk this size makes small (8192 took a fifth more CPU).
CHUNK_RUNNERS = 32768
