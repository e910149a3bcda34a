"""Labels beside the vocabulary: how a person reads each id of schemas/vocabulary.py (exports, screen, CLI)."""

from typing import Final

# Tables that name every id of their Literal (a test checks it); DRUG_NAMES names the drugs whose label is not
# just their id in words (drug_label falls back to that), DRUG_SHORT the ones the SVG timeline abbreviates.
DRUG_NAMES: Final[dict[str, str]] = {
    "epinephrine": "Epinephrine",
    "norepinephrine": "Norepinephrine",
    "amiodarone": "Amiodarone",
    "lidocaine": "Lidocaine",
    "adenosine": "Adenosine",
    "atropine": "Atropine",
    "calcium_chloride": "Calcium chloride",
    "calcium_gluconate": "Calcium gluconate",
    "sodium_bicarbonate": "Sodium bicarbonate",
    "dextrose": "Dextrose",
    "naloxone": "Naloxone",
    "magnesium_sulfate": "Magnesium sulfate",
}
# Short names for the SVG timeline, where a label has a few dozen pixels.
DRUG_SHORT: Final[dict[str, str]] = {
    "epinephrine": "Epi",
    "norepinephrine": "Norepi",
    "amiodarone": "Amio",
    "lidocaine": "Lido",
    "adenosine": "Aden",
    "atropine": "Atrop",
    "calcium_chloride": "CaCl",
    "calcium_gluconate": "CaGluc",
    "sodium_bicarbonate": "Bicarb",
    "dextrose": "Dextr",
    "naloxone": "Nalox",
    "magnesium_sulfate": "Mg",
}
FLUID_NAMES: Final[dict[str, str]] = {
    "saline": "0.9% saline",
    "lactated_ringers": "Lactated Ringer's",
    "plasmalyte": "Plasma-Lyte",
    "dextrose_10": "Dextrose 10%",
    "blood": "Blood",
    "plasma": "Plasma",
    "other": "Other fluid",
}
DEVICE_NAMES: Final[dict[str, str]] = {
    "ez_io": "EZ-IO",
    "manual": "manual needle",
    "big_paediatric": "BIG paediatric",
    "big_adult": "BIG adult",
    "fast1": "FAST1",
    "nio": "NIO",
    "other": "other device",
}
SETTING_NAMES: Final[dict[str, str]] = {
    "prehospital": "prehospital",
    "ed": "emergency department",
    "ward": "ward",
    "icu": "ICU",
    "picu": "PICU",
    "nicu": "NICU",
    "delivery_room": "delivery room",
    "theatre": "theatre",
    "other": "other",
}
RHYTHM_NAMES: Final[dict[str, str]] = {
    "asystole": "asystole",
    "pea": "PEA",
    "vf": "VF",
    "pvt": "pulseless VT",
    "sinus": "sinus rhythm",
    "bradycardia": "bradycardia",
    "svt": "SVT",
    "other": "other rhythm",
}
ROUTE_NAMES: Final[dict[str, str]] = {
    "io": "IO",
    "iv": "IV",
    "uvc": "UVC",
    "et": "ET",
    "im": "IM",
    "in": "IN",
    "sc": "SC",
    "po": "PO",
}
OUTCOME_NAMES: Final[dict[str, str]] = {
    "rosc": "ROSC",
    "died": "died",
    "transferred": "transferred",
    "recovered": "recovered",
    "other": "other",
}
