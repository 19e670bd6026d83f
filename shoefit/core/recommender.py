"""The pipeline for one runner: profile -> requirements (rules, try-ons) -> scores -> a shortlist, explained."""

import functools

import numpy as np

from . import explain, fixed_entries
from .current_shoe import current_shoe
from .feedback import Feedback
from .feedback_report import report
from .feedback_table import default_table
from .scoring import Filters, score, shown, top_k
from .shortlist import Candidates, shortlist
from .triage import FOR_LATER, triage
from .validation import check_against
from .vocabulary import ATTRIBUTE_NAMES, ATTRIBUTES, WIDTHS

# A look-alike of the runner's current shoe moved by less than this gets no line.
WHY_MIN_POINTS = 0.5
# The shoes each set of filters lets through are remembered, within about this many bytes of arrays (some
# 26 bytes a shoe): a store's runners ask for few widths, terrains and budgets.
FILTERED_BYTES = 64 * 2**20
FILTERED_MAX = 256


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
        remembered = max(4, min(FILTERED_MAX, FILTERED_BYTES // (26 * max(1, len(catalog)))))
        self._filtered = functools.lru_cache(maxsize=remembered)(self._filtered)
        self._entries_of = {}  # catalog row -> _shoe_entries(row); at most a pair of small dicts per shoe

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
        comfortable ones up and shoes like the uncomfortable ones down (feedback.py);
        a shoe returned or rated 1-2 leaves the shortlist. The body then carries
        `feedback`, and each pick `tried` and `feedback_points`. Without try-ons the
        answer is the plain one. Raises InvalidProfile, or InvalidTryOn for try-ons
        that do not fit the catalog.
        """
        catalog = self.catalog
        feedback, assessment, body = self._assess(profile, tryons)
        current = None if profile.current_shoe is None else current_shoe(catalog, *profile.current_shoe)
        filters = Filters.from_profile(profile)
        candidates, adjust = self._candidates(filters, feedback, current)
        rows = candidates.rows
        if len(rows) == 0:
            entries = []
        else:
            scores = score(catalog, assessment.lows, assessment.highs, assessment.weights,
                           None if len(rows) == len(catalog) else rows)  # fmt: skip
            if adjust is not None:
                scores += adjust[rows]
            if profile.shortlist:
                pinned = int(catalog.family[current.row]) if current is not None and current.liked else None
                entries = shortlist(catalog, rows, scores, profile.limit, pinned=pinned, assessment=assessment,
                                    candidates=candidates)  # fmt: skip
            else:
                best = top_k(scores, catalog.id_rank[rows], profile.limit)
                entries = [(int(rows[i]), float(scores[i]), []) for i in best]
        picked = [row for row, _, _ in entries]
        values = catalog.matrix[picked].tolist()
        breakdowns = explain.breakdowns(values, assessment)
        why = explain.Why(assessment, profile)
        later = [FOR_LATER] if body["triage"]["picks"] == "for_later" else []
        picks = []
        for n, ((row, total, older), breakdown, shoe_values) in enumerate(zip(entries, breakdowns, values), 1):
            lines = why(catalog, row, shoe_values)
            if later or current is not None:
                lines[:0] = [*later, *self._current_lines(current, row)]
            if older:
                lines += self._also_line(older)
            picks.append(self._pick(n, row, total, breakdown, lines, older))
        if feedback is not None:
            for row, pick in zip(picked, picks):
                pick["tried"] = feedback.tried(row)
                pick["feedback_points"] = round(float(feedback.points[row]), 3)
                # What the runner felt leads (Nigg et al. 2015: comfort is the best filter we have).
                pick["why"] = feedback.lines(row) + pick["why"]
        if current is not None:
            body["current_shoe"] = self._current_summary(current, picked, candidates.member, assessment)
        body["recommendations"] = picks
        if len(rows) == 0:
            body["no_match"] = self._no_match(filters)
        body["catalog"] = self.catalog_info(len(rows))
        return body

    def recommend_json(self, profile):
        """The recommendation as the API sends it (JSON bytes)."""
        return fixed_entries.dumps(self.recommend(profile))

    def _assess(self, profile, tryons):
        """(Feedback or None, the assessment the shoes are ranked on, the answer's body so far)."""
        check_against(self.catalog, profile)
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
        body = {
            "triage": triage(assessment),
            "requirements": assessment.requirements(),
            "warnings": assessment.warnings,
            "advice": assessment.advice,
            "evidence": explain.evidence(assessment),
        }
        if feedback is not None:
            body["feedback"] = feedback
        body["catalog"] = self.catalog_info()
        if self.knowledge.overlay is not None:
            body["calibration"] = self.knowledge.overlay.info()
        return body

    def _candidates(self, filters, feedback, current):
        """The shoes that may be picked (Candidates), and the points try-ons and the current shoe add (None: none)."""
        candidates = self._filtered(filters)
        if feedback is not None or (current is not None and current.excluded is not None):
            keep = candidates.member.copy()
            if feedback is not None:
                keep[feedback.set_aside_rows] = False
            if current is not None and current.excluded is not None:
                keep &= ~current.excluded
            candidates = Candidates.of(self.catalog, keep)
        parts = [p for p in (feedback and feedback.points, current and current.points) if p is not None]
        return candidates, (sum(parts) if parts else None)

    def _filtered(self, filters):
        """The shoes `filters` let through (remembered: see __init__)."""
        mask = filters.mask(self.catalog)
        return Candidates.of(self.catalog, np.ones(len(self.catalog), dtype=bool) if mask is None else mask)

    def _current_lines(self, current, row):
        if current is None:
            return []
        shoe = self.catalog.shoes[current.row]
        name = f"{shoe['brand']} {shoe['model']}"
        if self.catalog.family[row] == self.catalog.family[current.row]:
            newer = "" if row == current.row else f": the {self.catalog.shoes[row]['model']} is its newest version"
            return [f"Your {name}, which you love{newer}."]
        points = float(current.points[row])
        if abs(points) < WHY_MIN_POINTS:
            return []
        feeling = "you love" if current.liked else "you did not get on with"
        return [f"Like the {name} {feeling} ({points:+.1f} points)."]

    def _also_line(self, older):
        if not older:
            return []
        names = ", ".join(f"{self.catalog.shoes[r]['model']}, ${self.catalog.shoes[r]['price']:g}" for r in older)
        return [f"Also: {names}."]

    def _current_summary(self, current, picked, member, assessment):
        shoe = self.catalog.shoes[current.row]
        name = f"{shoe['brand']} {shoe['model']}"
        line = self.catalog.lines[int(self.catalog.family[current.row])]
        if not current.liked:
            text = f"You did not get on with your {name}: its line is off the shortlist, and shoes like it move down."
        elif any(row in line for row in picked):
            text = f"You love your {name}: its line is on your shortlist, and shoes like it move up."
        elif not member[line].any():
            text = f"You love your {name}, but no version of it passes your filters; shoes like it move up."
        else:
            newest = line[0]
            misses = [
                ATTRIBUTES[ATTRIBUTE_NAMES[i]]["label"].lower()
                for i, (low, high, w) in enumerate(zip(assessment.lows, assessment.highs, assessment.weights))
                if w > 0 and not low <= self.catalog.matrix[newest, i] <= high
            ]
            text = (
                f"You love your {name}, but the {self.catalog.shoes[newest]['model']} misses what you need "
                f"({', '.join(misses)}): it is left off; shoes like it move up."
            )
        return {"id": shoe["id"], "brand": shoe["brand"], "model": shoe["model"], "liked": current.liked, "text": text}

    def _no_match(self, filters):
        """Why nothing is left, and what relaxing each filter would leave."""
        given = filters.given()
        relax = []
        for field, value in given.items():
            mask = filters.without(field).mask(self.catalog)
            count = len(self.catalog) if mask is None else int(mask.sum())
            relax.append({"filter": field, "value": value, "candidates": count})
        relax.sort(key=lambda entry: -entry["candidates"])
        if not given:
            text = "Every shoe that would suit you was tried and set aside, or is in a line you did not get on with."
        else:
            named = ", ".join(_filter_words(field, value) for field, value in given.items())
            best = relax[0]
            text = (
                f"No shoe in this catalog passes all your filters ({named}); without "
                f"{_filter_words(best['filter'], best['value'])}, {best['candidates']} would."
            )
        return {"text": text, "relax": relax}

    def _pick(self, rank_, row, score, breakdown, why, older):
        return {
            "rank": rank_,
            **self._shoe_entries(row)[0],
            "score": shown(score),
            "breakdown": breakdown,
            "why": why,
            "also": [self._shoe_entries(r)[1] for r in older],
        }

    def _shoe_entries(self, row):
        """(what a pick says of the shoe in `row`, what a pick's "also" says of it), made once per shoe picked."""
        entries = self._entries_of.get(row)
        if entries is None:
            shoe = self.catalog.shoes[row]
            pick = {key: shoe[key] for key in ("id", "brand", "model", "category", "use", "terrain", "price", "widths")}
            entries = self._entries_of[row] = (pick, {key: shoe[key] for key in ("id", "model", "price")})
        return entries


def _filter_words(field, value):
    """A filter as a runner would name it: "$50 or less", "narrow width", "trail shoes", "brands HOKA"."""
    if field == "max_price":
        return f"${value:g} or less"
    if field == "width":
        return f"{WIDTHS[value]['label'].lower()} width"
    if field == "terrain":
        return f"{value} shoes"
    if field == "use_only":
        return f"{value} shoes only"
    return f"{field.replace('_', ' ')} {', '.join(value)}"
