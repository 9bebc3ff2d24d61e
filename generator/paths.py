"""Where the project's files are: the checkout the command works on.

From a source checkout (`pip install -e .`, or `python -m generator`) that is the folder above
this package. Installed the ordinary way (`pip install .`), the package lives in site-packages
and the checkout is the working directory or one of its parents: the first that holds
`charts/llm-serving/Chart.yaml`. `LLM_SERVING_ROOT` names it explicitly. `plan` needs no checkout;
`generate`, `validate` and `package` do, and say so when there is none (`require_checkout`).
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = Path("charts/llm-serving/Chart.yaml")


def _is_checkout(path: Path) -> bool:
    return (path / MARKER).is_file()


def find_root() -> Path:
    explicit = os.environ.get("LLM_SERVING_ROOT")
    if explicit:
        return Path(explicit).resolve()
    source = Path(__file__).resolve().parent.parent
    if _is_checkout(source):
        return source
    cwd = Path.cwd().resolve()
    return next((p for p in (cwd, *cwd.parents) if _is_checkout(p)), cwd)


ROOT = find_root()


class NoCheckout(RuntimeError):
    """The command needs the project's charts and there is no checkout to take them from."""


def require_checkout() -> Path:
    if not _is_checkout(ROOT):
        raise NoCheckout(f"no llm-serving checkout at {ROOT} or above it ({MARKER} not found): run the command "
                         "inside the repository, or set LLM_SERVING_ROOT to it")
    return ROOT
