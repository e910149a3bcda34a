"""The codes the FHIR Bundle uses (SNOMED CT, RxNorm, LOINC, UCUM, HL7's own), each table with its source."""

# Code systems. LOINC's and RxNorm's URIs are the ones standards.md §4 gives.
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
# FHIR R4/R4B Observation.category (observation-category code system, the vital-signs profile's category).
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL_SIGNS = ("vital-signs", "Vital Signs")
TARGET_BODY_STRUCTURE = "http://hl7.org/fhir/StructureDefinition/procedure-targetBodyStructure"

# ── SNOMED CT: exports.md §3; standards.md §3-4 for the ones marked [V] there that the table leaves out ──
CARDIAC_ARREST = ("410429000", "Cardiac arrest")
IO_CANNULATION = ("430824005", "Intraosseous cannulation")
IV_CANNULATION = ("392230005", "Catheterization of vein")
DEFIBRILLATION = ("426220008", "External ventricular defibrillation")
CARDIOVERSION = ("250980009", "Cardioversion")  # standards.md, NEMSIS eProcedures.03: a synchronized shock
CPR = ("89666000", "Cardiopulmonary resuscitation")
SUCCESSFUL = ("385669000", "Successful")
UNSUCCESSFUL = ("385671000", "Unsuccessful")
ROUTES = {"io": ("417255000", "Intraosseous route"), "iv": ("47625008", "Intravenous route")}
LATERALITY = {"left": ("7771000", "Left"), "right": ("24028007", "Right")}
# The proximal tibia has no code of its own that we could check: the tibia, with the words in `text`.
BODY_SITES = {
    "distal_femur": ("310652005", "Distal femur"),
    "proximal_humerus": ("119524001", "Proximal humerus"),
    "proximal_tibia": ("12611008", "Tibia"),
    "distal_tibia": ("64605006", "Distal tibia"),
    "sternum": ("56873002", "Sternum"),
}
# Rhythms (asystole, VF…) and ROSC carry `code.text` only: standards.md §4 gives no code for them
# ("none is to be invented"), so there is deliberately no table of rhythm codes here.

# ── RxNorm ingredient RXCUIs: standards.md §4 "RxNorm v2", one per drug id of the second edition ──
RXNORM_CODES = {
    "epinephrine": "3992",
    "norepinephrine": "7512",
    "amiodarone": "703",
    "lidocaine": "6387",
    "adenosine": "296",
    "atropine": "1223",
    "calcium_chloride": "1901",
    "calcium_gluconate": "1908",
    "sodium_bicarbonate": "36676",
    "dextrose": "4850",  # glucose, the ingredient
    "naloxone": "7242",
    "magnesium_sulfate": "6585",
    "dopamine": "3628",
    "dobutamine": "3616",
    "midazolam": "6960",
    "lorazepam": "6470",
    "levetiracetam": "114477",
    "phenobarbital": "8134",
    "ketamine": "6130",
    "fentanyl": "4337",
    "rocuronium": "68139",
    "suxamethonium": "10154",  # succinylcholine
    "ceftriaxone": "2193",
    "hydrocortisone": "5492",
    "tranexamic_acid": "10691",
    "hypertonic_saline": "9863",  # sodium chloride, the ingredient
    "potassium_chloride": "8591",
    "milrinone": "52769",
}
# NEMSIS Defined List Medication.csv, standards.md §3 (clinical drugs: the fluid as it is hung).
SALINE = ("313002", "Sodium chloride 9 MG/ML")
FLUID_CODES = {
    "saline": SALINE,
    "lactated_ringers": ("1008377", "Lactated Ringer's"),
    "dextrose_10": ("1795477", "D10"),
}

# ── LOINC: standards.md §4 "Vital signs and weight" ──
# LOINC's own display names are not in the reference, so codings carry none: `code.text` says it in words.
BODY_WEIGHT = "29463-7"
HEART_RATE_RHYTHM = "8884-9"
BLOOD_PRESSURE_PANEL = "85354-9"
# One Observation per vital sign a `vitals` event gives, except the pressures, which are components of
# the panel: (LOINC, words, UCUM unit). The units are the ones FHIR R4's vital-signs profiles fix for
# these codes (hl7.org/fhir/R4/observation-vitalsigns.html): /min, %, mm[Hg].
VITALS = {
    "hr": ("8867-4", "Heart rate", "/min"),
    "spo2": ("59408-5", "Oxygen saturation by pulse oximetry", "%"),
}
BLOOD_PRESSURE = {
    "sbp": ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    "dbp": ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
    "map": ("8478-0", "Mean blood pressure", "mm[Hg]"),
}
KILOGRAM = "kg"  # UCUM; the body-weight profile's unit (same page)

# ── UCUM: standards.md §4 "UCUM units" (case-sensitive; "mcg" is not UCUM) ──
UCUM_UNITS = {"mg": "mg", "mcg": "ug", "g": "g", "mEq": "meq", "mL": "mL", "units": "[iU]"}
UCUM_RATES = {"mcg/kg/min": "ug/kg/min", "mg/kg/h": "mg/kg/h", "mL/h": "mL/h", "mcg/min": "ug/min"}

# ── FHIR's required value sets ──
SEVERITY = {"critical": "high", "warning": "moderate", "info": "low"}  # DetectedIssue.severity
# Encounter.class, v3-ActCode (standards.md §4: EMER, IMP or FLD).
ENCOUNTER_CLASS = {
    "prehospital": ("FLD", "field"),
    "ed": ("EMER", "emergency"),
    "ward": ("IMP", "inpatient encounter"),
    "icu": ("IMP", "inpatient encounter"),
    "picu": ("IMP", "inpatient encounter"),
    "nicu": ("IMP", "inpatient encounter"),
    "delivery_room": ("IMP", "inpatient encounter"),
    "theatre": ("IMP", "inpatient encounter"),
}
UNKNOWN_SETTING = ("EMER", "emergency")  # a code is emergency care wherever it happens
