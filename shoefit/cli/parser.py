"""The `shoefit` command line: the parser, and each command's module (catalog, batch, database, calibration)."""

import argparse

from . import batch_commands, calibrate_commands, catalog_commands, db_commands


def version():
    import importlib.metadata

    try:
        return importlib.metadata.version("shoefit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="shoefit", description="Running-shoe recommendations: tools.")
    parser.add_argument("--version", action="version", version=f"shoefit {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    catalog_commands.add_commands(commands)
    score_parser = batch_commands.add_score_command(commands)
    batch_commands.add_grid_command(commands)
    db_commands.add_commands(commands)
    calibrate_commands.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command == "score" and args.scheduler is not None and args.engine != "dask":
        score_parser.error("--scheduler ADDRESS needs --engine dask")
    return args.run(args)
