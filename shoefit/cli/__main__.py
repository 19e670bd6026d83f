"""`python -m shoefit.cli`: the `shoefit` command."""

import sys

from .parser import main

sys.exit(main())
