"""What `shoefit calibrate` found, for a person (the report) and for the service (the overlay's TOML)."""

from dataclasses import dataclass

from .fit import MIN_TRYONS


@dataclass(frozen=True)
class Calibration:
    outcomes: object  # outcomes.Outcomes
    fit: object  # fit.Fit, None when there were too few try-ons
    ranks: object  # evaluate.Ranks, None likewise
    version: str | None
    made: object  # datetime, UTC
    catalog_version: str

    @property
    def enough(self):
        return len(self.outcomes) >= MIN_TRYONS


def report_lines(c):
    o = c.outcomes
    lines = [
        f"{o.tryons_read:,} try-ons read; {len(o):,} used, of {len(o.profiles):,} fittings (catalog {c.catalog_version})"
    ]
    lines += [f"  left out {n:,}: {why}" for why, n in sorted(c.outcomes.skipped.items())]
    if not c.enough:
        lines.append(
            f"too few try-ons for an overlay: {MIN_TRYONS - len(o):,} more are needed ({MIN_TRYONS:,} at least)"
        )
        return lines
    fit = c.fit
    low, high = fit.slope_interval
    verdict = "predicts" if fit.predicts else "does not predict"
    lines.append(
        f"the score's distance {verdict} how try-ons went: log-odds of going badly {fit.slope:+.2f} per point "
        f"(90 % interval {low:+.2f} to {high:+.2f})"
    )
    lines.append(f"  {'attribute':<22}{'multiplier':>10}   {'90 % interval':<15}{'try-ons with a mismatch':>23}")
    for attr, t in sorted(fit.tuned.items(), key=lambda item: -abs(item[1].multiplier - 1)):
        lines.append(f"  {attr:<22}{t.multiplier:>10.2f}   {t.low:.2f}-{t.high:<10.2f}{t.tryons:>23,}")
    lines.append("  (1: the try-ons cannot tell this attribute's weight from the rules'; bounds 0.5-2)")
    summary = c.ranks.summary()
    if summary["kept"]:
        tried, first = summary["tried_mean_rank"], summary["tried_first_share"]
        catalog, top = summary["catalog_mean_rank"], summary["catalog_top_share"]
        lines += [
            f"held out (cross-validated by fitting), {summary['kept']:,} kept shoes, rules' weights -> overlay:",
            f"  among the shoes tried on: mean rank of the kept shoe {tried[0]:.3f} -> {tried[1]:.3f}; "
            f"ranked first {first[0]:.1%} -> {first[1]:.1%}",
            f"  in the catalog: mean rank {catalog[0]:.3f} -> {catalog[1]:.3f}; in the top 3 {top[0]:.1%} -> {top[1]:.1%}",
        ]
    else:
        lines.append("held out: no kept shoe to rank (no try-on was kept)")
    return lines


def overlay_toml(c):
    """The weights overlay file: what WeightsOverlay.load reads, with the report's figures as comments."""
    o, fit = c.outcomes, c.fit
    lines = [
        f"# shoefit weights overlay, written by `shoefit calibrate` from {len(o.profiles):,} fittings.",
        "# Per attribute: the multiplier on the rules' weights (0.5-2; 1 where the try-ons cannot tell), its 90 %",
        "# interval from resampling fittings, and the try-ons with a mismatch on it. Serve it with",
        "# SHOEFIT_WEIGHTS=<this file>; `shoefit score` and `shoefit grid` read it from there or --weights.",
        "# The rules' bands, warnings, advice and filters are not in it and do not change.",
        "",
        "[calibration]",
        f'version = "{c.version}"',
        f"fittings = {len(o.profiles)}",
        f"tryons = {len(o)}",
        f"made = {c.made:%Y-%m-%dT%H:%M:%SZ}",
        f'catalog = "{c.catalog_version}"',
    ]
    summary = c.ranks.summary()
    if summary["kept"]:
        tried = summary["tried_mean_rank"]
        lines.append(f"# held out: mean rank of the kept shoe among those tried {tried[0]:.3f} -> {tried[1]:.3f}")
    for attr, t in fit.tuned.items():
        lines += ["", f"[weights.{attr}]", f"multiplier = {t.multiplier:.2f}", f"low = {t.low:.2f}",
                  f"high = {t.high:.2f}", f"tryons = {t.tryons}"]  # fmt: skip
    return "\n".join(lines) + "\n"
