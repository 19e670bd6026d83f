"""shoefit: symptom-aware running-shoe recommendations with documented rules and red flags.

The package's face is the app factory, `from shoefit import create_app`. It is looked up on first use:
importing shoefit.core, shoefit.batch or the command line does not load Flask.
"""


def __getattr__(name):
    if name != "create_app":
        raise AttributeError(f"module 'shoefit' has no attribute {name!r}")
    try:
        from .web.app import create_app
    except AttributeError as exc:
        # Python would turn this into "cannot import name 'create_app'", hiding what went wrong.
        raise ImportError(f"the web layer could not be imported: {exc}") from exc
    return create_app
