"""Loader of `mappings/kennzahlen.yaml`: county and programme parameters of the counting rules."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.errors import ConfigurationError
from jobs.kennzahlen.breakdowns import DIMENSION_LABELS

__all__ = ["AgeBand", "KennzahlenParams", "default_params_path", "load_params"]


class _Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AgeBand(_Closed):
    lower: int = Field(alias="from", ge=0)
    upper: int | None = Field(alias="to", default=None, ge=0)

    @property
    def label(self) -> str:
        return f"{self.lower}+" if self.upper is None else f"{self.lower}–{self.upper}"

    def contains(self, age: int) -> bool:
        return age >= self.lower and (self.upper is None or age <= self.upper)


class _Zielgruppe(_Closed):
    cutoff: date


class _Foerderung(_Closed):
    start: date


class _Suppression(_Closed):
    threshold: int = Field(default=5, ge=1)
    """Outputs for the state and the county's staff (xlsx, csv, json)."""
    public_threshold: int | None = Field(default=None, ge=1)
    """The public committee report (html, pdf), applied on top; None = `threshold`; never below it."""

    @model_validator(mode="after")
    def _check_public(self) -> Self:
        if self.public_threshold is not None and self.public_threshold < self.threshold:
            raise ValueError(
                f"public_threshold {self.public_threshold} is below threshold {self.threshold}: the public "
                "report would show cells the state report hides"
            )
        return self


class _Breakdowns(_Closed):
    nationality_top_n: int = Field(default=8, ge=1)
    age_bands: tuple[AgeBand, ...]
    adult_from: int = Field(default=18, ge=0)

    @model_validator(mode="after")
    def _check_bands(self) -> Self:
        previous: AgeBand | None = None
        for band in self.age_bands:
            if band.upper is not None and band.upper < band.lower:
                raise ValueError(f"age band {band.label} ends before it starts")
            if previous is not None and (previous.upper is None or band.lower != previous.upper + 1):
                raise ValueError(f"age bands must be contiguous: {previous.label} then {band.label}")
            previous = band
        return self


class _K14(_Closed):
    nenner: int | None = Field(default=None, ge=1)
    quelle: str | None = None


class KennzahlenParams(_Closed):
    """Validated content of kennzahlen.yaml."""

    rule_version: str = Field(min_length=1)
    zielgruppe: _Zielgruppe
    foerderung: _Foerderung
    suppression: _Suppression = _Suppression()
    breakdowns: _Breakdowns
    k14_betreuungsquote: _K14 = _K14()
    labels: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Display labels per breakdown dimension and value, e.g. regionalteam: {NORD: "Team Nord"}; they take
    precedence over the catalogue labels of the object definition."""

    @model_validator(mode="after")
    def _check_label_dimensions(self) -> Self:
        unknown = sorted(set(self.labels) - set(DIMENSION_LABELS))
        if unknown:
            raise ValueError(
                f"labels for unknown dimension(s) {', '.join(unknown)} (known: {', '.join(DIMENSION_LABELS)})"
            )
        return self

    def age_group(self, geburtsdatum: date | None, stichtag: date) -> str:
        if geburtsdatum is None or geburtsdatum > stichtag:
            return "unbekannt"
        age = age_on(geburtsdatum, stichtag)
        for band in self.breakdowns.age_bands:
            if band.contains(age):
                return band.label
        return "unbekannt"

    def is_adult(self, geburtsdatum: date | None, stichtag: date) -> bool:
        return geburtsdatum is not None and age_on(geburtsdatum, stichtag) >= self.breakdowns.adult_from


def age_on(geburtsdatum: date, stichtag: date) -> int:
    """Age in full years; a person born on 29 February turns a year older on 1 March in other years."""
    before_birthday = (stichtag.month, stichtag.day) < (geburtsdatum.month, geburtsdatum.day)
    return stichtag.year - geburtsdatum.year - int(before_birthday)


def default_params_path() -> Path:
    return Path(str(resources.files("mappings").joinpath("kennzahlen.yaml")))


def load_params(path: Path | None = None) -> KennzahlenParams:
    """Read and validate the parameters; any problem is a ConfigurationError naming the file."""
    source = path or default_params_path()
    try:
        data: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read Kennzahlen parameters {source}: {exc.strerror or exc}", source=str(source)
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"{source} is not valid YAML: {exc}", source=str(source)) from exc
    try:
        return KennzahlenParams.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigurationError(
            f"invalid Kennzahlen parameters in {source}: {problems}", source=str(source)
        ) from None
