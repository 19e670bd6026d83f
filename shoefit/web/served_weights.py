"""The weights overlay in force, shared by the workers through the instance folder as the catalog is.

SHOEFIT_WEIGHTS names the overlay file an operator edits; what the workers serve is a validated copy in the
instance folder (weights-<digest>.toml), named by the pointer file weights.current. Start-up and the admin
reload read the configured file, check it whole, and move the pointer; every worker follows the pointer at
its next look (served_catalog.py), so an edit half-saved in the configured file is never what a worker reads.
"""

import hashlib
import os

from ..core.weights_overlay import WeightsOverlay, read_overlay
from .instance_files import signature, write

POINTER = "weights.current"


class WeightsPointer:
    def __init__(self, folder, configured):
        self.folder = folder
        self.pointer = folder / POINTER
        self.configured = configured  # SHOEFIT_WEIGHTS, or None

    def read_configured(self):
        """(the overlay SHOEFIT_WEIGHTS names, its text), (None, None) without one; WeightsError if it is bad."""
        if self.configured is None:
            return None, None
        return read_overlay(self.configured)

    def publish(self, text):
        """Make `text` (None: no overlay) what the workers serve; the pointer's signature as signature() sees it."""
        if text is None:
            try:
                os.unlink(self.pointer)
            except FileNotFoundError:
                pass
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"weights-{hashlib.sha256(text.encode()).hexdigest()[:16]}.toml"
        write(self.folder / name, text.encode())
        return write(self.pointer, f"{name}\n".encode())

    def signature(self):
        return signature(self.pointer)

    def pointed(self):
        """The overlay the pointer names now (None: none); WeightsError or OSError if it cannot be read."""
        try:
            name = self.pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if not (name.startswith("weights-") and name.endswith(".toml") and "/" not in name):
            raise OSError(f"{self.pointer}: must name a weights-<digest>.toml file, not {name!r}")
        return WeightsOverlay.load(self.folder / name)
