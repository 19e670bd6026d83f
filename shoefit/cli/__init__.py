"""The `shoefit` command line: the parser (parser.py), and one module per group of commands."""

from .parser import main

__all__ = ["main"]
