"""The runner profile: validated request data turned into the facts rules test."""

from dataclasses import dataclass, field

from .vocabulary import LIMIT_DEFAULT

PAIN_SYMPTOMS = frozenset({"top_of_foot_soreness", "forefoot_pain", "morning_heel_pain", "night_pain"})
LIST_FIELDS = frozenset({"fit_issues", "symptoms", "conditions"})
# Every name a rule may test; rules naming anything else are rejected at load.
FACT_FIELDS = frozenset(
    {
        "arch_type",
        "pronation",
        "terrain",
        "width",
        "pain.days",
        "pain.severity",
        "pain.character",
        "pain.timing",
        "pain.despite_rest",
        "training.weekly_km",
        "training.weekly_increase_pct",
        "training.surface",
        "use",
        "body_weight_kg",
        "cushion_feel",
        "drop",
        "experience",
        "has_pain",
        "runs_off_road",
    }
    | LIST_FIELDS
)
_NO_FACTS = dict.fromkeys(FACT_FIELDS)


@dataclass(frozen=True)
class Profile:
    arch_type: str = "unknown"
    pronation: str = "unknown"
    fit_issues: tuple = ()
    symptoms: tuple = ()
    conditions: tuple = ()
    pain: tuple | None = None  # (key, value) pairs: a Profile is hashable, so answers can be memoised
    training: tuple | None = None
    width: str | None = None
    max_price: float | None = None
    terrain: str | None = None
    brands: tuple = ()
    exclude_brands: tuple = ()
    use: str = "daily"
    use_only: bool = False
    body_weight_kg: float | None = None
    cushion_feel: str | None = None
    drop: str | None = None
    experience: str | None = None
    current_shoe: tuple | None = None  # (shoe id, liked)
    shortlist: bool = True  # one version per model line, brands varied; False: the plain ranking
    limit: int = LIMIT_DEFAULT
    facts: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        # Every fact is present, None when not given: rules read them by name, many runners at once.
        symptoms = frozenset(self.symptoms)
        facts = {
            **_NO_FACTS,
            "arch_type": self.arch_type,
            "pronation": self.pronation,
            "terrain": self.terrain,
            "width": self.width,
            "use": self.use,
            "body_weight_kg": self.body_weight_kg,
            "cushion_feel": self.cushion_feel,
            "drop": self.drop,
            "experience": self.experience,
            "fit_issues": frozenset(self.fit_issues),
            "symptoms": symptoms,
            "conditions": frozenset(self.conditions),
        }
        for group in ("pain", "training"):
            for key, value in getattr(self, group) or ():
                facts[f"{group}.{key}"] = value
        # Pain details count as pain even without a named symptom: a runner who
        # reports 4 days of pain must get the care advice.
        facts["has_pain"] = not PAIN_SYMPTOMS.isdisjoint(symptoms) or bool(self.pain)
        # Trails, asked for as the terrain or told as where the runner trains: otherwise roads.
        facts["runs_off_road"] = self.terrain == "trail" or facts["training.surface"] in ("trail", "mixed")
        object.__setattr__(self, "facts", facts)

    @classmethod
    def from_dict(cls, data):
        """Build from the request schema's output (lists already de-duplicated).

        Answers that cannot change the result are put in one canonical form (the
        order of symptoms, of pain details ...), so equal runners make equal profiles.
        """
        get = data.get
        pain, training, shoe = get("pain"), get("training"), get("current_shoe")
        return cls(
            **{
                **data,
                "fit_issues": tuple(sorted(get("fit_issues", ()))),
                "symptoms": tuple(sorted(get("symptoms", ()))),
                "conditions": tuple(sorted(get("conditions", ()))),
                "brands": tuple(get("brands", ())),
                "exclude_brands": tuple(get("exclude_brands", ())),
                "pain": None if pain is None else tuple(sorted(pain.items())),
                "training": None if training is None else tuple(sorted(training.items())),
                "current_shoe": None if shoe is None else (shoe["id"], shoe["liked"]),
            }
        )
