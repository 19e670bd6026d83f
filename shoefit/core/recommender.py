"""The pipeline for one runner: profile -> requirements (rules, try-ons) -> scores -> explained picks."""

import functools

import orjson

from . import explain
from .feedback import Feedback
from .feedback_report import report
from .feedback_table import default_table
from .scoring import Filters, rank
from .validation import check_brands


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
        return self._assess(profile, tryons)[2]

    def recommend(self, profile, tryons=()):
        """The ranked answer; with try-ons (shoe_id, comfort, fit_notes, decision), re-ranked by them.

        Try-ons add their fit notes to the profile's fit issues, set requirements
        relative to the shoes the notes were felt in, and move shoes like the
        comfortable ones up and shoes like the uncomfortable ones down (feedback.py).
        The body then carries `feedback`, and each pick `tried` and `feedback_points`.
        Without try-ons the answer is the plain one, byte for byte.
        Raises InvalidProfile, or InvalidTryOn for try-ons that do not fit the catalog.
        """
        feedback, assessment, body = self._assess(profile, tryons)
        adjust = None if feedback is None else feedback.points
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

    def _assess(self, profile, tryons):
        """(Feedback or None, the assessment the shoes are ranked on, the answer's body so far)."""
        check_brands(self.catalog, profile)
        if not tryons:
            assessment = self.knowledge.assess(profile)
            return None, assessment, self._body(assessment)
        feedback = Feedback.from_tryons(self.catalog, tryons, self.feedback_table)
        # The profile as sent is assessed too, when the notes felt change it: the report says what they changed.
        plain = self.knowledge.assess(profile)
        felt = feedback.profile(profile)
        assessment = feedback.adjust(plain if felt is profile else self.knowledge.assess(felt))
        return feedback, assessment, self._body(assessment, report(feedback, plain, assessment, profile))

    def _body(self, assessment, feedback=None):
        body = {"requirements": assessment.requirements(), "warnings": assessment.warnings, "advice": assessment.advice}
        if feedback is not None:
            body["feedback"] = feedback
        body["catalog"] = self.catalog_info()
        return body

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
