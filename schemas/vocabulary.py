"""The closed vocabularies of events.md: every enumeration an event may use."""

from typing import Literal, get_args

Side = Literal["left", "right"]
Site = Literal[
    "proximal_tibia",
    "distal_tibia",
    "distal_femur",
    "proximal_humerus",
    "sternum",
    "iliac_crest",
    "calcaneus",
]
Limb = Literal["leg", "arm"]
Bone = Literal["tibia", "fibula", "femur", "pelvis", "ilium", "calcaneus", "humerus", "radius", "ulna", "sternum"]
Device = Literal["ez_io", "manual", "big_paediatric", "big_adult", "fast1", "nio", "other"]
Drug = Literal[
    "epinephrine",
    "norepinephrine",
    "amiodarone",
    "lidocaine",
    "adenosine",
    "atropine",
    "calcium_chloride",
    "calcium_gluconate",
    "sodium_bicarbonate",
    "dextrose",
    "naloxone",
    "magnesium_sulfate",
    # Added in the second edition of rules.md (events.md): appended, so the first ids keep their places.
    "midazolam",
    "lorazepam",
    "levetiracetam",
    "phenobarbital",
    "ketamine",
    "fentanyl",
    "rocuronium",
    "suxamethonium",
    "ceftriaxone",
    "hydrocortisone",
    "tranexamic_acid",
    "hypertonic_saline",
    "potassium_chloride",
    "dopamine",
    "dobutamine",
    "milrinone",
    "other",
]
DoseUnit = Literal["mg", "mcg", "g", "mEq", "mmol", "mL", "units"]
RateUnit = Literal["mcg/kg/min", "mg/kg/h", "mL/h", "mcg/min"]
Method = Literal["push", "pressure_bag", "pump", "syringe_driver", "gravity"]
Rhythm = Literal["asystole", "pea", "vf", "pvt", "sinus", "bradycardia", "svt", "other"]
SampleTest = Literal["crossmatch", "biochemistry", "blood_gas", "glucose", "culture", "fbc"]
Setting = Literal["prehospital", "ed", "ward", "icu", "picu", "nicu", "delivery_room", "theatre", "other"]
WeightSource = Literal["measured", "estimated", "length_tape", "stated"]
Sex = Literal["female", "male", "unknown"]
Condition = Literal["osteogenesis_imperfecta", "osteopetrosis", "osteoporosis", "coagulopathy"]
FindingKind = Literal[
    "fracture",
    "vascular_injury",
    "burn",
    "skin_infection",
    "open_wound",
    "prosthesis",
    "osteomyelitis",
    "recent_io",
]
Outcome = Literal["rosc", "died", "transferred", "recovered", "other"]
AccessResult = Literal["in", "failed"]
Complication = Literal["extravasation", "swelling", "dislodged", "leak", "no_flow", "compartment_concern"]
Route = Literal["et", "im", "in", "sc", "po"]
Purpose = Literal["io_analgesia", "arrest", "other"]
Fluid = Literal["saline", "lactated_ringers", "plasmalyte", "dextrose_10", "blood", "plasma", "other"]
Severity = Literal["critical", "warning", "info"]
LineKind = Literal["io", "iv", "uvc"]
LineStatus = Literal["unknown", "attempting", "in", "confirmed", "failed", "removed"]

SITES: tuple[str, ...] = get_args(Site)
"""In the order of events.md: the screen's digits 1-7 pick from this."""
DRUGS: tuple[str, ...] = get_args(Drug)
FLUIDS: tuple[str, ...] = get_args(Fluid)
ROUTES: tuple[str, ...] = get_args(Route)
SEVERITIES: tuple[str, ...] = get_args(Severity)
# Every choice list a front end offers (CLI options, pickers, forms) is one of these, never a copy.
SIDES: tuple[str, ...] = get_args(Side)
SETTINGS: tuple[str, ...] = get_args(Setting)
WEIGHT_SOURCES: tuple[str, ...] = get_args(WeightSource)
PURPOSES: tuple[str, ...] = get_args(Purpose)
ACCESS_RESULTS: tuple[str, ...] = get_args(AccessResult)
BONES: tuple[str, ...] = get_args(Bone)
LIMBS: tuple[str, ...] = get_args(Limb)

# Sites that have no side (an event there must not give one). Which bone a site is on, and how the
# bones chain along a limb, is anatomy the rules read: it lives in the protocol ([anatomy]) only.
MIDLINE_SITES: frozenset[str] = frozenset({"sternum"})
