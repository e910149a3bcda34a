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
AgeBand = Literal["neonate", "child", "adult", "unknown"]
"""rules.md's age band: `unknown` = age unknown and adult-sized or of unknown weight (adult and child rows apply)."""
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
# The rules of the current edition (rules.md v2), in its order: the engine registers exactly these (a test
# checks it). A flag or an acknowledgement read from a store may name an earlier edition's rule, so those
# fields stay text with the rule-id pattern (schemas.fields.RuleIdText).
RuleId = Literal[
    "REPEAT_SAME_BONE",
    "RECENT_IO_SAME_BONE",
    "FRACTURED_BONE",
    "PROXIMAL_FRACTURE",
    "VASCULAR_INJURY_LIMB",
    "SKIN_COMPROMISED_SITE",
    "PROSTHESIS_AT_SITE",
    "BONE_DISEASE",
    "SITE_NOT_FOR_AGE",
    "DEVICE_NOT_FOR_SITE",
    "NEEDLE_SIZE_FOR_WEIGHT",
    "DELAYED_IO",
    "DRUG_VIA_UNCONFIRMED_IO",
    "LINE_USED_AFTER_FAILURE",
    "NO_INITIAL_FLUSH",
    "DRUG_NOT_FLUSHED",
    "CA_BICARB_NO_FLUSH_BETWEEN",
    "BICARB_CATECHOLAMINE_NO_FLUSH",
    "BOLUS_VIA_VASOACTIVE_LINE",
    "ROUTE_NOT_ALLOWED",
    "HYPERTONIC_UNDILUTED",
    "GRAVITY_INFUSION_VIA_IO",
    "CONSCIOUS_NO_LIDOCAINE",
    "IO_DWELL_EXCEEDED",
    "IO_IN_AT_END",
    "IO_REMOVED_NO_PRESSURE",
    "EPI_INTERVAL_EXCEEDED",
    "EPI_TOO_SOON",
    "EPI_FIRST_DOSE_DELAYED",
    "SHOCK_NON_SHOCKABLE",
    "SHOCK_ENERGY",
    "VF_NO_SHOCK",
    "SHOCKABLE_DRUGS_DELAYED",
    "CPR_PAUSE_LONG",
    "DOSE_OUT_OF_RANGE",
    "INFUSION_RATE_OUT_OF_RANGE",
    "FLUID_VOLUME",
    "CUMULATIVE_DOSE_EXCEEDED",
    "NOREPI_HIGH_DOSE_VIA_IO",
    "VASOPRESSOR_NO_BP",
    "BLOOD_GAS_AFTER_IO_DRUG",
    "IO_SAMPLE_HANDLING",
]
LineStatus = Literal["unknown", "attempting", "in", "confirmed", "failed", "removed"]

SITES: tuple[str, ...] = get_args(Site)
"""In the order of events.md: the screen's digits 1-7 pick from this."""
DRUGS: tuple[str, ...] = get_args(Drug)
FLUIDS: tuple[str, ...] = get_args(Fluid)
ROUTES: tuple[str, ...] = get_args(Route)
SEVERITIES: tuple[str, ...] = get_args(Severity)
RULE_IDS: tuple[str, ...] = get_args(RuleId)
# Every choice list a front end offers (CLI options, pickers, forms) is one of these, never a copy.
SIDES: tuple[str, ...] = get_args(Side)
SETTINGS: tuple[str, ...] = get_args(Setting)
WEIGHT_SOURCES: tuple[str, ...] = get_args(WeightSource)
PURPOSES: tuple[str, ...] = get_args(Purpose)
ACCESS_RESULTS: tuple[str, ...] = get_args(AccessResult)
BONES: tuple[Bone, ...] = get_args(Bone)
LIMBS: tuple[Limb, ...] = get_args(Limb)

# Sites that have no side (an event there must not give one). Which bone a site is on, and how the
# bones chain along a limb, is anatomy the rules read: it lives in the protocol ([anatomy]) only.
MIDLINE_SITES: frozenset[Site] = frozenset({"sternum"})

# rules.md terms: the shockable rhythms, and those a shock does not treat (bradycardia is non-shockable
# during an arrest). Vocabulary, not clinical numbers: the engine's rules and the exports read these.
SHOCKABLE: frozenset[Rhythm] = frozenset({"vf", "pvt"})
NON_SHOCKABLE: frozenset[Rhythm] = frozenset({"asystole", "pea", "bradycardia"})
