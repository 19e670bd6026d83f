"""`python -m shoefit.cli`: the `shoefit` command."""

import sys

from .main import main

sys.exit(main())
