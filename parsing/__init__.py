"""Images -> label maps: the RPR human parser (models, datasets, training, evaluation, inference).

`parsing.Parser` is imported lazily so `import parsing` stays cheap (torch loads on first use).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsing.inference import Parser

__all__ = ["Parser"]


def __getattr__(name: str) -> Any:
    if name == "Parser":
        from parsing.inference import Parser

        return Parser
    raise AttributeError(f"module 'parsing' has no attribute {name!r}")
