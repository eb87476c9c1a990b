"""The demo county's word lists and constants, read from ``county.json`` shipped next to this module."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, cast

__all__ = [
    "County",
    "FieldOfAction",
    "ImEntry",
    "Municipality",
    "NameList",
    "Nationality",
    "Population",
    "VuEntry",
    "load_county",
]


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    team: str
    im_transferred: bool
    au_weight: float
    vu_weight: float


@dataclass(frozen=True, slots=True)
class Population:
    """One kind of person of the demo county; ``persons`` is per scale unit."""

    name: str
    persons: int
    accommodation: str
    municipalities: str
    households: str


@dataclass(frozen=True, slots=True)
class ImEntry:
    name: str
    team: str
    vzae: Decimal
    prior_from: date | None
    vzae_change: Decimal | None
    change_from: date | None


@dataclass(frozen=True, slots=True)
class VuEntry:
    name: str
    vzae: Decimal
    valid_from: date


@dataclass(frozen=True, slots=True)
class Nationality:
    code: str
    weight: float
    names: str
    status: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class NameList:
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FieldOfAction:
    key: str
    weight: float
    responsible: tuple[str, ...]
    goals: tuple[str, ...]
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class County:
    dates: Mapping[str, date]
    municipalities: Mapping[str, Municipality]
    populations: Mapping[str, Population]
    calibration: Mapping[str, Any]
    household_sizes: Mapping[str, tuple[float, ...]]
    rates: Mapping[str, float]
    im_staff: tuple[ImEntry, ...]
    vu_staff: tuple[VuEntry, ...]
    staff_given_names: tuple[str, ...]
    staff_surnames: tuple[str, ...]
    nationalities: Mapping[str, Nationality]
    names: Mapping[str, NameList]
    contact_kinds: Mapping[str, float]
    channels: Mapping[str, float]
    fields_of_action: Mapping[str, FieldOfAction]
    goal_status: Mapping[str, float]
    language_levels: Mapping[str, float]
    employment_adult: Mapping[str, float]
    closure_reasons: Mapping[str, Mapping[str, float]]
    extension_reasons: tuple[str, ...]
    jobcenter: Mapping[str, Any]
    recipients: Mapping[str, str]


def _date(value: object) -> date:
    return date.fromisoformat(str(value))


def _opt_date(raw: Mapping[str, Any], key: str) -> date | None:
    return _date(raw[key]) if key in raw else None


def _weights(raw: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in raw.items() if not str(k).startswith("_")}


def _strings(raw: object) -> tuple[str, ...]:
    return tuple(str(v) for v in cast("list[object]", raw))


@cache
def load_county() -> County:
    """Parse the packaged ``county.json`` (cached: it never changes at run time)."""
    text = resources.files(__package__).joinpath("county.json").read_text(encoding="utf-8")
    raw = cast("dict[str, Any]", json.loads(text))
    staff = cast("dict[str, Any]", raw["staff"])
    return County(
        dates={k: _date(v) for k, v in raw["dates"].items()},
        municipalities={
            name: Municipality(name, m["team"], bool(m["im_transferred"]), m["au_weight"], m["vu_weight"])
            for name, m in raw["municipalities"].items()
        },
        populations={
            name: Population(
                name, int(p["persons"]), p["accommodation"], p["municipalities"], p["households"]
            )
            for name, p in raw["populations"].items()
            if not name.startswith("_")
        },
        calibration=raw["calibration"],
        household_sizes={
            k: tuple(float(w) for w in v) for k, v in raw["household_sizes"].items() if not k.startswith("_")
        },
        rates=_weights(raw["rates"]),
        im_staff=tuple(
            ImEntry(
                name=e["name"],
                team=e["team"],
                vzae=Decimal(e["vzae"]),
                prior_from=_opt_date(e, "prior_from"),
                vzae_change=Decimal(e["vzae_change"]) if "vzae_change" in e else None,
                change_from=_opt_date(e, "change_from"),
            )
            for e in staff["im"]
        ),
        vu_staff=tuple(VuEntry(e["name"], Decimal(e["vzae"]), _date(e["from"])) for e in staff["vu"]),
        staff_given_names=_strings(staff["given_names"]),
        staff_surnames=_strings(staff["surnames"]),
        nationalities={
            code: Nationality(code, float(n["weight"]), n["names"], _weights(n["status"]))
            for code, n in raw["nationalities"].items()
        },
        names={
            group: NameList(_strings(n["male"]), _strings(n["female"]), _strings(n["surnames"]))
            for group, n in raw["names"].items()
        },
        contact_kinds=_weights(raw["contact_kinds"]),
        channels=_weights(raw["channels"]),
        fields_of_action={
            key: FieldOfAction(
                key,
                float(f["weight"]),
                _strings(f["responsible"]),
                _strings(f["goals"]),
                _strings(f["steps"]),
            )
            for key, f in raw["fields_of_action"].items()
        },
        goal_status=_weights(raw["goal_status"]),
        language_levels=_weights(raw["language_levels"]),
        employment_adult=_weights(raw["employment_adult"]),
        closure_reasons={k: _weights(v) for k, v in raw["closure_reasons"].items()},
        extension_reasons=_strings(raw["extension_reasons"]),
        jobcenter=raw["jobcenter"],
        recipients={str(k): str(v) for k, v in raw["recipients"].items()},
    )
