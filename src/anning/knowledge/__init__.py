"""The knowledge pack: every rule, lexicon, law, channel, platform and text the engine uses.

Loaded once from the YAML files in ``anning/data`` and validated; see docs/knowledge-format.md.
"""

from anning.knowledge.loader import Knowledge, KnowledgeError, load_knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]
