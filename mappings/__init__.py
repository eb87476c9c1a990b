"""Declarative mappings: per-site YAML profiles that turn enaio objects into normalized schema records.

County specifics (object type and field names, catalogue keys, the municipality -> AGS table) live only in
the profiles (``mappings/profiles/*.yaml``) and the site data; the code here knows no county. See
docs/mappings.md.
"""

from __future__ import annotations

from mappings.fit import Drift, Misfit, drift, misfits
from mappings.profile import EntityMapping, FieldMapping, MappingProfile, ProfileError, load_profile
from mappings.quarantine import Quarantine, QuarantineEntry
from mappings.reader import RecordReader

__all__ = [
    "Drift",
    "EntityMapping",
    "FieldMapping",
    "MappingProfile",
    "Misfit",
    "ProfileError",
    "Quarantine",
    "QuarantineEntry",
    "RecordReader",
    "drift",
    "load_profile",
    "misfits",
]
