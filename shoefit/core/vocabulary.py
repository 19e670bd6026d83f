"""Every value the API accepts, with a human label and a one-line hint.

One source for the request schemas, the rules file's validation and
`GET /v1/vocabulary`, so a kiosk form and the validator can never disagree.
"""

from types import MappingProxyType


def _terms(*entries):
    return MappingProxyType({value: {"label": label, "hint": hint} for value, label, hint in entries})


ARCH_TYPES = _terms(
    ("flat", "Flat / low arch", "The whole sole touches the floor in a wet footprint."),
    ("neutral", "Neutral arch", "A wet footprint shows about half the arch."),
    ("high", "High arch", "A wet footprint shows little more than heel and ball."),
    ("unknown", "Don't know", "Fine: the fit and try-on will tell us more."),
)

PRONATIONS = _terms(
    ("overpronation", "Overpronation", "The foot rolls inward a lot; shoes wear on the inner edge."),
    ("neutral", "Neutral", "The foot rolls in a little, then pushes off evenly."),
    ("underpronation", "Underpronation (supination)", "The foot stays on its outer edge; wear on the outside."),
    ("unknown", "Don't know", "A fitter can check your gait or your old shoes' wear."),
)

FIT_ISSUES = _terms(
    ("too_tight", "Too tight", "Current shoes squeeze or press on the top of the foot."),
    ("too_loose", "Too loose", "The foot moves around inside the shoe."),
    ("heel_slippage", "Heel slips", "The heel lifts out of the shoe as you run."),
    ("cramped_toes", "Cramped toes", "Toes touch the end or are pressed together."),
    ("blisters", "Blisters", "Rubbing leaves blisters or hot spots."),
    ("hot_feet", "Hot, sweaty feet", "Feet overheat or stay damp in the shoe."),
    ("pressure_on_top", "Pressure on top", "Laces or upper press on the top of the foot."),
)

SYMPTOMS = _terms(
    ("top_of_foot_soreness", "Sore top of foot", "Soreness on the top of the foot after running."),
    ("forefoot_pain", "Forefoot pain", "Pain in the ball of the foot or under the toes."),
    ("morning_heel_pain", "Heel pain on first steps", "Sharp heel pain with the first steps in the morning."),
    ("numbness_tingling", "Numbness or tingling", "Pins and needles or loss of feeling in the foot."),
    ("swelling", "Swelling", "The painful area is puffy or swollen."),
    ("redness_warmth", "Redness or warmth", "The skin over the pain is red or warm."),
    ("bruising", "Bruising", "Bruising over the painful area."),
    ("cannot_bear_weight", "Can't bear weight", "Standing or walking on the foot is not possible."),
    ("fever_chills", "Fever or chills", "Fever, chills or unexplained fatigue with the foot pain."),
    ("night_pain", "Pain at night", "The foot hurts at rest or at night."),
)

PAIN_CHARACTERS = _terms(
    ("sharp", "Sharp", "A stabbing, localised pain."),
    ("dull", "Dull", "A dull, diffuse ache."),
    ("aching", "Aching", "A general ache that builds up."),
    ("burning", "Burning", "A burning sensation."),
    ("throbbing", "Throbbing", "A pulsing pain."),
)

PAIN_TIMINGS = _terms(
    ("during_run", "During the run", "It starts or gets worse while running."),
    ("after_run", "Right after the run", "It shows up once you stop."),
    ("later_in_day", "Later in the day", "It builds up hours after the run."),
)

CONDITIONS = _terms(
    ("diabetes", "Diabetes", "Diabetes raises the risk of foot injuries healing badly."),
    ("osteoporosis", "Osteoporosis", "Weaker bones raise the risk of stress fractures."),
)

SURFACES = _terms(
    ("road", "Road", "Asphalt or concrete."),
    ("trail", "Trail", "Dirt, gravel, rocks and roots."),
    ("track", "Track", "A running track."),
    ("treadmill", "Treadmill", "Indoors on a treadmill."),
    ("mixed", "Mixed", "A bit of everything."),
)

TERRAINS = _terms(
    ("road", "Road shoes", "For pavement, track and treadmill."),
    ("trail", "Trail shoes", "Grippy outsole and protection for off-road running."),
    ("track", "Track shoes", "Light racing flats and spikes."),
)

WIDTHS = _terms(
    ("narrow", "Narrow", "B for men, 2A for women."),
    ("standard", "Standard", "D for men, B for women."),
    ("wide", "Wide", "2E for men, D for women."),
    ("extra_wide", "Extra wide", "4E for men, 2E for women."),
)

CATEGORIES = _terms(
    ("neutral", "Neutral", "No added medial support."),
    ("stability", "Stability", "Guide rails, medial posts or firmer foam against rolling inward."),
    ("motion_control", "Motion control", "Maximum support: firm medial post, wide straight base, rigid heel."),
)

USES = _terms(
    ("daily", "Daily training", "Everyday easy and long runs: most of a runner's miles."),
    ("tempo", "Tempo and speed work", "Faster sessions: intervals, tempo runs, fartlek."),
    ("race", "Race day", "Racing: the lightest, fastest shoe that still suits the foot."),
)

CUSHION_FEELS = _terms(
    ("soft", "Soft", "Plush and deep: a high stack of foam."),
    ("balanced", "Balanced", "Neither plush nor firm."),
    ("firm", "Firm", "Close to the ground, with more feel for the road."),
)

DROPS = _terms(
    ("low", "Low drop", "Heel and forefoot nearly level: 5 mm or less."),
    ("standard", "Standard drop", "The usual 6 to 10 mm."),
    ("high", "High drop", "A raised heel: 10 mm or more."),
)

EXPERIENCES = _terms(
    ("beginner", "New to running", "Running for less than a year, or starting again."),
    ("regular", "Regular runner", "Running most weeks for a year or more."),
    ("experienced", "Experienced", "Years of training, races, a sense of what suits you."),
)

# What a shoe is measured on. The catalog's seven ratings are 1-5; the others have units of their own,
# put on the same 1-5 scale by core/attributes.py (yes/no, the support category, millimetres of drop).
ATTRIBUTES = _terms(
    ("cushioning", "Heel cushioning", "Shock absorption under the heel (1 firm, 5 maximal)."),
    ("forefoot_cushioning", "Forefoot cushioning", "Shock absorption under the ball of the foot."),
    ("arch_support", "Arch support", "How much the midsole holds up the arch."),
    ("stability", "Stability", "Resistance to the foot rolling inward (medial post, wide base, firm midsole)."),
    ("heel_counter", "Heel counter", "Firmness and hold of the heel cup."),
    ("breathability", "Breathability", "How well the upper ventilates (mesh)."),
    ("toe_box", "Toe-box room", "Room for the toes (1 snug, 5 roomy)."),
    ("seamless_upper", "Seamless upper", "An upper without inner seams that rub (yes or no)."),
    ("category", "Support category", "Neutral, stability or motion control, as the brand sells the shoe."),
    ("daily_use", "Daily trainer", "Made for everyday miles (yes or no)."),
    ("tempo_use", "Tempo shoe", "Made for faster sessions (yes or no)."),
    ("race_use", "Race shoe", "Made for race day (yes or no)."),
    ("drop", "Heel-to-toe drop", "How much higher the heel sits than the forefoot, in millimetres."),
    ("trail_shoe", "Trail shoe", "Built for trails: a lugged outsole and a protective upper (yes or no)."),
)
# The order of the attributes in every array of targets, weights and ratings.
ATTRIBUTE_NAMES = tuple(ATTRIBUTES)

WARNING_LEVELS = _terms(
    ("urgent", "Seek care now", "Signs of a fracture or infection: see a doctor today."),
    ("see_doctor", "See a doctor", "Signs that need a diagnosis before more running."),
    ("caution", "Take care", "A risk factor to keep in mind."),
)

# What the warnings make of the answer (triage.py): a kiosk keys on the state.
TRIAGE = _terms(
    (
        "see_doctor_first",
        "See a doctor first",
        "What you describe needs a doctor before anything else: please see one today, and do not run on "
        "this foot until then. The shoes below are for later.",
    ),
    (
        "see_doctor",
        "See a doctor",
        "Have a doctor look at your foot before you run on it again; the shortlist is for when you do.",
    ),
    ("take_care", "Take care", "Keep the caution below in mind while you choose and train."),
    ("shoes", "Your shortlist", "Try these on; keep the pair that feels most comfortable."),
)

# What the runner did with a shoe tried on in the store.
DECISIONS = _terms(
    ("kept", "Kept", "The runner chose this pair."),
    ("returned", "Returned", "The runner tried it and put it back, or brought it back."),
    ("undecided", "Undecided", "Tried on; no choice made yet."),
)

# Warnings are always returned in this order, most serious first.
LEVEL_ORDER = {level: i for i, level in enumerate(WARNING_LEVELS)}

RATING_MIN, RATING_MAX = 1.0, 5.0
LIMIT_MIN, LIMIT_MAX, LIMIT_DEFAULT = 1, 50, 5
SEVERITY_MIN, SEVERITY_MAX = 0, 10
BODY_WEIGHT_MIN, BODY_WEIGHT_MAX = 25, 250  # kg
COMFORT_MIN, COMFORT_MAX = 1, 5

ENUMS = MappingProxyType(
    {
        "arch_type": ARCH_TYPES,
        "pronation": PRONATIONS,
        "fit_issues": FIT_ISSUES,
        "symptoms": SYMPTOMS,
        "pain.character": PAIN_CHARACTERS,
        "pain.timing": PAIN_TIMINGS,
        "conditions": CONDITIONS,
        "training.surface": SURFACES,
        "terrain": TERRAINS,
        "width": WIDTHS,
        "category": CATEGORIES,
        "use": USES,
        "cushion_feel": CUSHION_FEELS,
        "drop": DROPS,
        "experience": EXPERIENCES,
        "attributes": ATTRIBUTES,
        "warning_levels": WARNING_LEVELS,
        "triage": TRIAGE,
        "decision": DECISIONS,
    }
)
