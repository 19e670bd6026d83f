"""The one base class of the errors shoefit raises on purpose, and the two shapes they come in.

Each error is defined beside the thing it guards (CatalogError beside the catalog's CSV reader,
InvalidProfile beside the profile's validation, NotFound beside the store); this module holds what they share, so that
every caller can tell "shoefit refused this input" (a ShoefitError) from a bug (anything else).
"""


class ShoefitError(Exception):
    """Base of every error shoefit raises on purpose."""


def summary(errors, most=None):
    """One line naming each field error ({field, message}), the first `most` of them (all when None)."""
    return "; ".join(f"{e['field']}: {e['message']}" for e in errors[:most])


class FieldErrors(ShoefitError):
    """An input refused field by field: `errors` is [{field, value (when one was sent), message}]."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(summary(errors))


class InvalidFile(ShoefitError):
    """A file refused whole, with every problem found in it (`problems`), so it can be fixed in one go."""

    heading = "invalid file"

    def __init__(self, problems):
        self.problems = problems
        super().__init__(f"{self.describe()}:\n" + "\n".join(str(p) for p in problems))

    def describe(self):
        return self.heading
