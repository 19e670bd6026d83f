"""The core: one runner against one catalog. Profile, validation, catalog, rules, scores, explanation, try-ons.

Knows nothing of HTTP, databases or batch files; every other layer builds on it (see ARCHITECTURE.md).
"""
