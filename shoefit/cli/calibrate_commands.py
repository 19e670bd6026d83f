"""`shoefit calibrate` and `shoefit simulate-fittings`: a store's try-ons tune the weights; a synthetic store to try it."""

import sys
from datetime import UTC, datetime

from .. import config
from ..core.atomic_file import atomic_file
from ..core.catalog_csv import CatalogError
from ..core.rules import RulesError
from ..core.vocabulary import ATTRIBUTE_NAMES
from .common import EXIT_OK, EXIT_REJECTS, fail
from .db_commands import database_command


def _with_catalog(run):
    """The catalog and rules the service loads (the rules' weights as written: an overlay is what is made here)."""

    def command(args, fittings):
        # Imported here: numpy and the catalog are not needed to print --help.
        from ..core.catalog import Catalog
        from ..core.knowledge_base import KnowledgeBase

        try:
            settings = config.load()
            catalog = Catalog.load(args.catalog or settings["CATALOG"])
            knowledge = KnowledgeBase.load(settings["RULES"])
        except (CatalogError, RulesError) as exc:
            return fail(*exc.problems, f"{len(exc.problems)} problem(s); nothing was done")
        return run(args, fittings, catalog, knowledge)

    return database_command(command)


def calibrate(args, fittings, catalog, knowledge):
    from ..calibrate.report import overlay_toml, report_lines
    from ..calibrate.run import calibrate as run

    if fittings.current_revision() is None:
        return fail("the database has no fittings tables yet: run `shoefit db upgrade` first")
    done = run(fittings.outcomes(), catalog, knowledge, datetime.now(UTC), folds=args.folds, seed=args.seed)
    for line in report_lines(done):
        print(line)
    if not done.enough:
        print(f"shoefit: no overlay written; {args.output} left as it was", file=sys.stderr)
        return EXIT_REJECTS
    with atomic_file(args.output) as fh:
        fh.write(overlay_toml(done).encode())
    print(f"wrote {args.output}: weights overlay {done.version}; serve it with SHOEFIT_WEIGHTS={args.output}")
    return EXIT_OK


def simulate(args, fittings, catalog, knowledge):
    from ..calibrate.simulate import Taste, simulated_fittings

    fittings.upgrade()
    held = fittings.count_fittings()
    if held:
        return fail(f"the database holds {held:,} fitting(s): a synthetic store is made in an empty one only")
    taste = Taste(args.plant, signal=not args.no_signal, noise=args.noise)
    made = fittings.add_fittings(simulated_fittings(catalog, knowledge, args.fittings, taste, args.seed))
    planted = ", ".join(f"{attr} x{m:g}" for attr, m in sorted(args.plant.items())) or "none"
    told = "no signal: comfort and decisions drawn whatever the shoe" if args.no_signal else f"planted {planted}"
    print(f"{made:,} synthetic fittings with try-ons stored ({told}; comfort noise {args.noise:g}, seed {args.seed})")
    return EXIT_OK


def planted(text):
    """attribute=multiplier,...: the synthetic customers' true taste."""
    import argparse

    taste = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        attr, _, value = part.partition("=")
        try:
            multiplier = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r}: expected attribute=multiplier, e.g. cushioning=2") from None
        if attr.strip() not in ATTRIBUTE_NAMES:
            raise argparse.ArgumentTypeError(
                f"unknown attribute {attr.strip()!r}; one of: {', '.join(ATTRIBUTE_NAMES)}"
            )
        if not 0 < multiplier < 100:
            raise argparse.ArgumentTypeError(f"{part!r}: a multiplier above 0 and below 100")
        taste[attr.strip()] = multiplier
    return taste


def add_commands(commands):
    calibration = commands.add_parser(
        "calibrate",
        help="fit requirement weights to the store's kept and returned try-ons; write a weights overlay",
        description="Read every try-on in the fittings database (SHOEFIT_DATABASE_URL, else the SQLite file in the "
        "instance folder) and fit how each attribute's mismatch predicts discomfort and returns. Writes a weights "
        "overlay (multipliers 0.5-2 with 90 %% intervals) and prints a report with "
        "the held-out ranks of the kept shoes before and after. Exit code 1 and nothing written when there are too "
        "few try-ons; 2 when the database, catalog or rules cannot be used.",
    )
    calibration.add_argument("-o", "--output", required=True, metavar="WEIGHTS.toml", help="the overlay to write")
    calibration.add_argument("--catalog", metavar="PATH", help="catalog CSV (default $SHOEFIT_CATALOG, else bundled)")
    calibration.add_argument("--folds", type=_at_least(2), default=5, help="held-out folds of fittings (default 5)")
    calibration.add_argument("--seed", type=int, default=0, help="seed of the resampling (default 0)")
    calibration.set_defaults(run=_with_catalog(calibrate))
    simulation = commands.add_parser(
        "simulate-fittings",
        help="fill an empty fittings database with a synthetic store of known taste",
        description="Make synthetic fittings and try-ons whose customers weigh the attributes as --plant says, "
        "into the (empty) fittings database, so that `shoefit calibrate` can be checked against a known truth.",
    )
    simulation.add_argument("--fittings", type=_at_least(1), default=2000, help="how many (default 2000)")
    simulation.add_argument("--plant", type=planted, default={}, metavar="ATTR=M,...",
                            help="the customers' true multipliers, e.g. cushioning=2,stability=0.5")  # fmt: skip
    simulation.add_argument("--no-signal", action="store_true", help="outcomes that do not depend on the shoe")
    simulation.add_argument("--noise", type=_noise, default=0.5, help="spread of felt comfort, 1-5 points (0.5)")
    simulation.add_argument("--catalog", metavar="PATH", help="catalog CSV (default $SHOEFIT_CATALOG, else bundled)")
    simulation.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    simulation.set_defaults(run=_with_catalog(simulate))


def _noise(text):
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 5:
        raise argparse.ArgumentTypeError(f"{text!r}: a number from 0 to 5 (comfort points)")
    return value


def _at_least(lowest):
    import argparse

    def whole(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < lowest:
            raise argparse.ArgumentTypeError(f"{text!r}: a whole number of at least {lowest}")
        return value

    return whole
