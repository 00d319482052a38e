"""安宁 anning — offline analyser for debt-collection SMS.

>>> from anning import analyze
>>> verdict = analyze("【某某金融】您的借款已逾期3天，请尽快还款。")
>>> verdict.kind
'collection_notice'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Engine", "Verdict", "__version__", "analyze", "verdict_to_dict"]

if TYPE_CHECKING:
    from anning.engine import Engine
    from anning.model import Verdict

_engine: Engine | None = None


def analyze(text: str, sender: str | None = None, received_at: Any = None, lang: str = "zh") -> Verdict:
    """Analyse one message with the packaged knowledge (the engine is built once and reused)."""
    global _engine
    if _engine is None:
        from anning.engine import Engine

        _engine = Engine()
    return _engine.analyze(text, sender, received_at, lang=lang)


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from anning.engine import Engine

        return Engine
    if name == "Verdict":
        from anning.model import Verdict

        return Verdict
    if name == "verdict_to_dict":
        from anning.explain import verdict_to_dict

        return verdict_to_dict
    raise AttributeError(name)
