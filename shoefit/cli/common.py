"""What every command shares: exit codes, and how a command says it cannot go on."""

import signal
import sys

EXIT_OK, EXIT_REJECTS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


def fail(*lines):
    """Print each line as shoefit's complaint on stderr; the exit code of a command that could not go on."""
    for line in lines:
        print(f"shoefit: {line}", file=sys.stderr)
    return EXIT_USAGE
