"""Entries of an answer that never change, such as a rule's reason, warning and advice, with their JSON written once.

Half of an answer's 20 KB is such entries, the same bytes for every runner a rule fires for. To every reader they
are dicts. Encoded with `dumps` below, each one's JSON is spliced in as it was written when the rules were read.
"""

import orjson


class FixedEntry(dict):
    """A dict that nothing changes after it is made; `encoded` is its JSON."""

    __slots__ = ("encoded",)

    def __init__(self, entry):
        super().__init__(entry)
        self.encoded = orjson.dumps(self)


def dumps(value):
    """orjson.dumps(value), byte for byte, with the FixedEntries in it spliced in rather than encoded again."""
    return orjson.dumps(value, default=_written, option=orjson.OPT_PASSTHROUGH_SUBCLASS)


def _written(value):
    # With OPT_PASSTHROUGH_SUBCLASS, orjson hands every subclass of a built-in type here, not FixedEntry alone.
    if type(value) is FixedEntry:
        return orjson.Fragment(value.encoded)
    raise TypeError(f"Type is not JSON serializable: {type(value).__name__}")
