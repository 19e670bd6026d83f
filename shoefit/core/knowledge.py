"""The knowledge tables as files: reading a TOML table, and checking the seed passage an entry cites.

Both tables (knowledge/rules.toml and knowledge/feedback.toml) are data, each entry citing the seed
passage it implements; a broken table fails loudly at start-up with every problem listed, never at
request time. This module is what the two readers share.
"""

import tomllib
from importlib import resources

SEEDS = ("top-of-foot-soreness-after-running.txt", "forefoot-pain-after-running.txt")
SOURCE_KEYS = frozenset({"seed", "section", "quote"})


def table_text(path, bundled, error):
    """(text, name) of a knowledge table: the file at `path`, or knowledge/`bundled` when path is None."""
    if path is None:
        name = f"knowledge/{bundled}"
        return resources.files("shoefit").joinpath(name).read_text("utf-8"), name
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read(), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise error([f"{path}: cannot read: {exc}"]) from None


def parse_table(text, name, error):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error([f"{name}: {exc}"]) from None


def check_source(source, where, problems):
    """Add to `problems` what is wrong with an entry's source: exactly a known seed, a section and a quote."""
    if not isinstance(source, dict) or set(source) != SOURCE_KEYS:
        problems.append(f"{where}: source needs exactly seed, section, quote")
    elif source["seed"] not in SEEDS:
        problems.append(f"{where}: unknown seed {source['seed']!r}")
    elif not all(isinstance(source[key], str) and source[key] for key in ("section", "quote")):
        problems.append(f"{where}: source section and quote must be non-empty text")


def cited(rule_id, source, evidence):
    """A response's `source` entry: the rule, the passage it implements, and what research says, if anything."""
    entry = {"rule": rule_id, **source}
    if evidence:
        entry["evidence"] = evidence
    return entry
