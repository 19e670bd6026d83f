"""What the warnings mean for the answer: see a doctor first, see one soon, take care, or go and try shoes.

An urgent warning puts the answer in a "see a doctor first" state: the shoes are for later, and
advice that has the runner run, exercise or try shoes on is held back (knowledge_base.py). A
see_doctor warning keeps the shortlist and leads with the doctor. Every warning is still listed.
"""

from .vocabulary import TRIAGE

STATES = {"urgent": "see_doctor_first", "see_doctor": "see_doctor", "caution": "take_care", None: "shoes"}
FOR_LATER = "For later: once a doctor has seen your foot and said you can run again."


def triage(assessment):
    """The answer's `triage`: state, the most serious level, what to do, and what happens to picks and advice."""
    level = assessment.warnings[0]["level"] if assessment.warnings else None
    state = STATES[level]
    return {
        "state": state,
        "level": level,
        "message": TRIAGE[state]["hint"],
        "picks": "for_later" if state == "see_doctor_first" else "shortlist",
        "withheld_advice": list(assessment.withheld),
    }
