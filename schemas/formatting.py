"""The one set of words for numbers, times, ages and doses: the engine, the screen, the CLI and the exports."""

from datetime import datetime, timedelta

from schemas.patient import DAYS_PER_YEAR

# Two spellings of one thing are one function here; where a context needs a shorter form, it has its own function
# and the choice is written down:
#
# - times from the code's start: `t_plus` (T+mm:ss, T+h:mm:ss past an hour) everywhere;
# - spans: `mmss` (m:ss, for counters and the CLI's code list) and `duration` (m:ss, or "1 h 05 min" past an
#   hour, for the summary);
# - numbers: `num` (three significant figures, for messages and the screen: 0.125, 1.5, 300, 1,200) and
#   `number` (a fixed count of decimals with the trailing zeros dropped, for the exports' tables: 0.13, 12.5);
# - ages: `age_long` in sentences (the engine's messages: "10 days", "7 months", "2.5 years") and `age_short`
#   wherever a row or a band has a few characters (the screen's patient band and the exports: "10 d", "7 mo",
#   "2.5 y"; "mo", not "m", which reads as minutes or metres).

MONTH_YEARS = 1 / 12  # under a month, an age is told in days
MONTHS_UNTIL_YEARS = 2.0  # under two years, an age is told in months (as paediatric teams say it)


def words(ident: str) -> str:
    """A vocabulary id as words: `proximal_tibia` → `proximal tibia`."""
    return ident.replace("_", " ")


def num(x: float) -> str:
    """A number as a person writes it in a sentence: 0.12, 1.5, 300, 1,200 (three significant figures)."""
    return f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def number(value: float | None, digits: int = 2) -> str:
    """A dose or volume in a table: 0.16, 5, 12.5 (at most `digits` decimals, no trailing zeros); - for none."""
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def t_plus(seconds: float | None) -> str:
    """T+mm:ss from the code's start (T+h:mm:ss past an hour); - for none."""
    if seconds is None:
        return "-"
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"T+{h}:{m:02d}:{sec:02d}" if h else f"T+{m:02d}:{sec:02d}"


def mmss(seconds: float) -> str:
    """m:ss of a span (minutes uncapped: 75:00); a negative span reads 0:00."""
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


def duration(seconds: float | None) -> str:
    """12:30 (min:s), or 1 h 05 min past an hour; - for none."""
    if seconds is None:
        return "-"
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h} h {m:02d} min" if h else f"{m}:{sec:02d}"


def clock(start: datetime, t: float) -> str:
    """The clock time of `t` in the code's offset, HH:MM:SS."""
    return (start + timedelta(seconds=t)).strftime("%H:%M:%S")


def offset(start: datetime) -> str:
    """The code's UTC offset as +01:00."""
    return start.strftime("%z")[:3] + ":" + start.strftime("%z")[3:]


def age_long(age: float) -> str:
    """An age in a sentence: 10 days, 7 months, 2.5 years."""
    if age < MONTH_YEARS:
        return f"{round(age * DAYS_PER_YEAR)} days"
    if age < MONTHS_UNTIL_YEARS:
        return f"{int(age * 12)} months"
    return f"{num(age)} years"


def age_short(age: float) -> str:
    """An age in a row or a band: 10 d, 7 mo, 12 y, 2.5 y."""
    if age >= MONTHS_UNTIL_YEARS:
        return f"{number(age, 1)} y"
    if age >= MONTH_YEARS:
        return f"{number(age * 12, 0)} mo"
    return f"{number(age * DAYS_PER_YEAR, 0)} d"


def dose_text(dose: float, unit: str) -> str:
    """A dose with its unit: 0.12 mg, 1500 mg (three decimals at most)."""
    return f"{number(dose, 3)} {unit}"


def bone_words(bone: str, side: str | None) -> str:
    """left tibia; sternum."""
    return f"{side} {bone}" if side else bone


def site_label(site: str | None, side: str | None) -> str:
    """`left proximal tibia`, `sternum`; an IV's free-text site as written (with its side unless it says it)."""
    if site is None:
        return side or "-"
    text = words(site)
    return f"{side} {text}" if side and side not in text.lower() else text
