"""Optional parts of the install (``pip install 'enaio-connector[extra]'``) and the error for a missing one.

A plain install runs ``extract``, ``check`` and ``kennzahlen --format json,csv``; the emulator
(``[emulator]``: Flask, waitress) and the rendered reports (``[reports]``: openpyxl, Jinja2, matplotlib,
docxtpl) are extras.
"""

from __future__ import annotations

import importlib.util

from connector.errors import ConfigurationError

EXTRAS: dict[str, tuple[str, ...]] = {
    "emulator": ("flask", "waitress"),
    "reports": ("openpyxl", "jinja2", "matplotlib", "docxtpl"),
}


def missing(*modules: str) -> list[str]:
    """The modules of ``modules`` that are not installed."""
    return [name for name in modules if not _installed(name)]


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that refuses the name, or a broken package
        return False


def require(*modules: str, extra: str, purpose: str, key: str) -> None:
    """A ``ConfigurationError`` naming the extra when one of ``modules`` is missing (before any work)."""
    absent = missing(*modules)
    if absent:
        raise ConfigurationError(
            f"{purpose} needs the optional extra [{extra}] ({', '.join(absent)} not installed): "
            f"pip install 'enaio-connector[{extra}]'",
            key=key,
        )
