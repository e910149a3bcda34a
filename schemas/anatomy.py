"""The site → bone table and the limb chains of events.md, as data."""

from typing import Final

SITE_BONE: Final[dict[str, str]] = {
    "proximal_tibia": "tibia",
    "distal_tibia": "tibia",
    "distal_femur": "femur",
    "proximal_humerus": "humerus",
    "sternum": "sternum",
    "iliac_crest": "ilium",
    "calcaneus": "calcaneus",
}

# Each limb lists its bones proximal → distal; bones in one tier are level with each other.
LIMBS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "leg": (("pelvis", "ilium"), ("femur",), ("tibia", "fibula"), ("calcaneus",)),
    "arm": (("humerus",), ("radius", "ulna")),
}

# Sites that have no side: the bone key is the bone alone.
MIDLINE_SITES: Final[frozenset[str]] = frozenset({"sternum"})


def bone_key(site: str, side: str | None) -> str:
    """`tibia/left` for the left proximal or distal tibia; `sternum` for the sternum."""
    bone = SITE_BONE[site]
    return bone if site in MIDLINE_SITES or side is None else f"{bone}/{side}"
