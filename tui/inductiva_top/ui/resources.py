"""Where the stylesheets live, in a wheel and in a source checkout.

The wheel ships the top-level ``styles/`` directory as
``inductiva_top/styles`` (hatch force-include); an editable install runs from
the checkout, where it sits at ``<repo>/styles``. Stylesheets are loaded by
path, so this finds the directory in either place.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["StylesNotFound", "styles_dir", "stylesheet"]

_PACKAGE = Path(__file__).resolve().parent.parent


class StylesNotFound(RuntimeError):
    """The package was installed without its stylesheets."""


def styles_dir() -> Path:
    """The directory holding the ``*.tcss`` files."""
    for candidate in (_PACKAGE / "styles", _PACKAGE.parent.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise StylesNotFound(
        f"the stylesheets are missing (looked in {_PACKAGE / 'styles'} and "
        f"{_PACKAGE.parent.parent / 'styles'}); reinstall inductiva-top"
    )


def stylesheet(name: str) -> Path:
    """The path of one stylesheet, e.g. ``stylesheet("app.tcss")``."""
    return styles_dir() / name
