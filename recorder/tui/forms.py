"""The forms for the rarer events, as data: each names its event kind and its fields."""

from typing import Any, get_args

from recorder.tui.pickers import Field, Form
from schemas.vocabulary import (
    ACCESS_RESULTS,
    SIDES,
    Bone,
    Complication,
    Drug,
    FindingKind,
    Fluid,
    Method,
    RateUnit,
    SampleTest,
    Sex,
    WeightSource,
)


def _io_line(answers: dict[str, Any]) -> bool:
    return str(answers.get("line") or "").startswith("io")


def forms(lines: list[str], infusions: list[str], current: str | None) -> dict[str, Form]:
    """Every form, with the code's lines and infusions as the choices they need."""
    line = Field("line", "Line", "choice", tuple(lines), current, required=True)
    running = infusions[-1] if infusions else None
    return {
        "patient": Form(
            "patient_updated",
            "Patient details",
            (
                Field("patient.age_years", "Age (years)", "number"),
                Field("patient.age_months", "Age (months)", "number"),
                Field("patient.age_days", "Age (days)", "number"),
                Field("patient.weight_kg", "Weight (kg)", "number"),
                Field("patient.weight_source", "Weight from", "choice", get_args(WeightSource)),
                Field("patient.sex", "Sex", "choice", get_args(Sex)),
                Field("patient.name", "Name"),
                Field("patient.mrn", "MRN"),
            ),
        ),
        "finding": Form(
            "finding",
            "Finding",
            (
                Field("finding", "Finding", "choice", get_args(FindingKind), required=True),
                Field("bone", "Bone", "choice", get_args(Bone), required=True),
                Field("side", "Side", "choice", SIDES),
                Field("hours_ago", "Hours ago (recent IO)", "number"),
            ),
        ),
        "vitals": Form(
            "vitals",
            "Vitals",
            (
                Field("sbp", "Systolic BP", "number"),
                Field("dbp", "Diastolic BP", "number"),
                Field("map", "Mean BP", "number"),
                Field("hr", "Heart rate", "number"),
                Field("spo2", "SpO2 %", "number"),
            ),
        ),
        "shock": Form(
            "shock",
            "Shock",
            (
                Field("joules", "Joules", "number"),
                # Shown answered (unsynchronized, as a shock in arrest is), stored as shown; y makes it a cardioversion.
                Field("synchronized", "Synchronized", "bool", default=False, required=True),
            ),
        ),
        "fluid": Form(
            "fluid",
            "Fluid bolus",
            (
                Field("fluid", "Fluid", "choice", get_args(Fluid), "saline", required=True),
                Field("volume_ml", "Volume (mL)", "number", required=True),
                line,
                Field("method", "Method", "choice", get_args(Method), "push", required=True),
            ),
        ),
        "flush": Form(
            "flush",
            "Flush",
            (
                Field("volume_ml", "Volume (mL)", "number", required=True),
                line,
                # Shown answered as most flushes go, stored as shown, changed with one key (y/n).
                Field("easy", "Went in easily", "bool", default=True, required=True),
                Field("extravasation", "Extravasation", "bool", default=False, required=True),
            ),
        ),
        "complication": Form(
            "complication",
            "Line complication",
            (line, Field("complication", "Complication", "choice", get_args(Complication), required=True)),
        ),
        "line_removed": Form(
            "line_removed",
            "Remove line",
            # Asked, never assumed: an IO line removed without pressure is what IO_REMOVED_NO_PRESSURE is for.
            (line, Field("pressure_held", "Pressure held", "bool", required_if=_io_line)),
        ),
        "uvc_attempt": Form(
            "uvc_attempt", "UVC attempt", (Field("result", "Result", "choice", ACCESS_RESULTS, required=True),)
        ),
        "infusion_started": Form(
            "infusion_started",
            "Start infusion",
            (
                Field("drug", "Drug", "choice", get_args(Drug), required=True),
                Field("name", "Name (other drug)"),
                Field("rate", "Rate", "number", required=True),
                Field("rate_unit", "Rate unit", "choice", get_args(RateUnit), "mcg/kg/min", required=True),
                # A rate in mL/h is checked against the dose range only with the strength (INFUSION_RATE_OUT_OF_RANGE).
                Field("concentration", "Strength (for mL/h)"),
                line,
                Field("method", "Method", "choice", get_args(Method), "syringe_driver", required=True),
            ),
        ),
        # A carrier: a fluid running on the line (saline on a pressure bag), which flushes what is given into it.
        "carrier": Form(
            "infusion_started",
            "Start a carrier (fluid running on the line)",
            (
                Field("fluid", "Fluid", "choice", get_args(Fluid), "saline", required=True),
                Field("rate", "Rate", "number", required=True),
                Field("rate_unit", "Rate unit", "choice", get_args(RateUnit), "mL/h", required=True),
                line,
                Field("method", "Method", "choice", get_args(Method), "pressure_bag", required=True),
            ),
        ),
        "infusion_changed": Form(
            "infusion_changed",
            "Change infusion rate",
            (
                Field("infusion", "Infusion", "choice", tuple(infusions), running, required=True),
                Field("rate", "New rate", "number", required=True),
            ),
        ),
        "infusion_stopped": Form(
            "infusion_stopped",
            "Stop infusion",
            (Field("infusion", "Infusion", "choice", tuple(infusions), running, required=True),),
        ),
        "sample": Form(
            "sample",
            "Sample",
            (
                line,
                Field("tests", "Test", "multi", get_args(SampleTest), required=True),
                # Asked for an IO line, never assumed: an unlabelled marrow sample is IO_SAMPLE_HANDLING's case.
                Field("labelled_io", "Labelled IO/marrow", "bool", required_if=_io_line),
            ),
        ),
        "iv_attempt": Form(
            "iv_attempt",
            "IV attempt",
            (
                Field("result", "Result", "choice", ACCESS_RESULTS, required=True),
                Field("site", "Site (e.g. L hand)"),
                Field("side", "Side", "choice", SIDES),
            ),
        ),
    }
