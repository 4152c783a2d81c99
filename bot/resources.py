"""Where the files that ship with the code are: the message templates and the starting seeds.

The repository keeps them in its top-level ``templates/`` and ``seeds/`` folders. A built wheel
(or ``pip install .``) puts them inside the package, as ``bot/templates`` and ``bot/seeds``
(pyproject.toml maps the folders there), so an installed bot finds them wherever it runs from.
A source checkout or an editable install has no such folders in the package: there the
repository's own folders are used. Never the working directory: that is the operator's, for
``NEWSBOT_DB`` and ``.env``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

__all__ = ["resource_dir"]

Resource = Literal["templates", "seeds"]


def resource_dir(name: Resource) -> Path:
    """The folder of shipped ``name`` files: inside the installed package, else the repository's."""
    packaged = resources.files("bot").joinpath(name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / name
