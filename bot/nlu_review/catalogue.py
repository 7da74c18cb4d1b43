"""Which intents an admin may give a message: the domain's, minus those no one types."""

from __future__ import annotations

from pathlib import Path

import yaml

# domain.yml: sent only by the gateway or by buttons, never predicted from free text.
NOT_TYPED = frozenset({"handoff_closed", "give_feedback"})


def labelable_intents(domain_file: Path) -> tuple[str, ...]:
    """The intents of the domain a young person's message can mean, in the domain's order."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    names = [i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []]
    return tuple(name for name in names if name not in NOT_TYPED)
