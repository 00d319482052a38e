"""The local web app (``anning serve``): the CLI's features as server-rendered pages, Chinese first.

Needs the ``web`` extra (fastapi, uvicorn, python-multipart). ``create_app`` is imported lazily so that
``import anning.web`` stays cheap.
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    from anning.web.app import create_app as _create

    return _create(*args, **kwargs)
