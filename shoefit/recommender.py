"""The pipeline: profile -> requirements (rules) -> scores (scorer) -> response."""

import functools

import orjson

from . import explain
from .feedback import Feedback, default_table
from .scoring import Filters, rank


class InvalidProfile(Exception):
    """A profile that passed the schema but does not fit this catalog."""

    def __init__(self, errors):
        self.errors = errors  # [{field, value, message}]
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


class Recommender:
    def __init__(self, catalog, knowledge, memo_size=0, feedback_table=None):
        self.catalog = catalog
        self.knowledge = knowledge
        # Read here, so a broken feedback table stops start-up like a broken rules file.
        self.feedback_table = feedback_table or default_table()
        if memo_size:
            # An answer depends only on the profile, this catalog and these rules, so
            # runners who answer alike (a kiosk sees many) share one computation. The
            # memo lives and dies with this Recommender, i.e. with the catalog it ranks.
            self.recommend_json = functools.lru_cache(maxsize=memo_size)(self.recommend_json)

    def catalog_info(self, candidates=None):
        info = {"version": self.catalog.version, "size": len(self.catalog)}
        if candidates is not None:
            info["candidates"] = candidates
        return info

    def requirements(self, profile, tryons=()):
        """The requirements, warnings and advice; with try-ons, changed by them (see recommend)."""
        if tryons:
            return self._assess_with(profile, tryons)[2]
        return self._assess(profile)[1]

    def recommend(self, profile, tryons=()):
        """The ranked answer; with try-ons (shoe_id, comfort, fit_notes, decision), re-ranked by them.

        Try-ons add their fit notes to the profile's fit issues, set requirements
        relative to the shoes the notes were felt in, and move shoes like the
        comfortable ones up and shoes like the uncomfortable ones down (feedback.py).
        The body then carries `feedback`, and each pick `tried` and `feedback_points`.
        Without try-ons the answer is the plain one, byte for byte.
        Raises InvalidProfile, or feedback.InvalidTryOn for try-ons that do not fit the catalog.
        """
        if tryons:
            feedback, assessment, body = self._assess_with(profile, tryons)
            adjust = feedback.points
        else:
            assessment, body = self._assess(profile)
            feedback = adjust = None
        rows, scores, candidates = rank(
            self.catalog, assessment.targets, assessment.weights, Filters.from_profile(profile), profile.limit, adjust
        )
        values = self.catalog.matrix[rows].tolist()
        breakdowns = explain.breakdowns(values, assessment)
        why = explain.Why(assessment, profile)
        picks = [
            self._pick(n, row, score, breakdown, why(self.catalog, row, shoe_values))
            for n, (row, score, breakdown, shoe_values) in enumerate(
                zip(rows.tolist(), scores.tolist(), breakdowns, values), 1
            )
        ]
        if feedback is not None:
            for row, pick in zip(rows.tolist(), picks):
                pick["tried"] = feedback.tried(row)
                pick["feedback_points"] = round(float(feedback.points[row]), 3)
                # What the runner felt leads (Nigg et al. 2015: comfort is the best filter we have).
                pick["why"] = feedback.lines(row) + pick["why"]
        body["recommendations"] = picks
        body["catalog"] = self.catalog_info(candidates)
        return body

    def recommend_json(self, profile):
        """The recommendation as the API sends it (JSON bytes)."""
        return orjson.dumps(self.recommend(profile))

    def _assess(self, profile):
        check_brands(self.catalog, profile)
        assessment = self.knowledge.assess(profile)
        return assessment, {
            "requirements": assessment.requirements(),
            "warnings": assessment.warnings,
            "advice": assessment.advice,
            "catalog": self.catalog_info(),
        }

    def _assess_with(self, profile, tryons):
        check_brands(self.catalog, profile)
        feedback = Feedback.from_tryons(self.catalog, tryons, self.feedback_table)
        plain = self.knowledge.assess(profile)
        felt = feedback.profile(profile)
        assessment = plain if felt is profile else self.knowledge.assess(felt)
        assessment = feedback.adjust(assessment)
        return (
            feedback,
            assessment,
            {
                "requirements": assessment.requirements(),
                "warnings": assessment.warnings,
                "advice": assessment.advice,
                "feedback": feedback.report(plain, assessment, profile),
                "catalog": self.catalog_info(),
            },
        )

    def _pick(self, rank_, row, score, breakdown, why):
        shoe = self.catalog.shoes[row]
        return {
            "rank": rank_,
            "id": shoe["id"],
            "brand": shoe["brand"],
            "model": shoe["model"],
            "category": shoe["category"],
            "terrain": shoe["terrain"],
            "price": shoe["price"],
            "widths": shoe["widths"],
            "score": round(score, 3),
            "breakdown": breakdown,
            "why": why,
        }


def check_brands(catalog, profile):
    """Raise InvalidProfile for brands the catalog does not have."""
    errors = [
        {"field": f"{field}.{i}", "value": brand, "message": f"no brand {brand!r} in the catalog"}
        for field in ("brands", "exclude_brands")
        for i, brand in enumerate(getattr(profile, field))
        if brand.casefold() not in catalog.brand_codes
    ]
    if errors:
        raise InvalidProfile(errors)
