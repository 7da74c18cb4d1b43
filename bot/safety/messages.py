"""What a young person in danger reads at once: the crisis lines that fit (safety.md).

Used by the action server (action_crisis) and by the gateway itself while a conversation
waits for or is with a worker — the same words either way.
"""

from __future__ import annotations

from bot.config import CrisisLines

CRISIS_SUICIDE = "crisis_suicide_selfharm"
CRISIS_UNSAFE = "crisis_unsafe"
KIND_TO_INTENT = {"suicide_selfharm": CRISIS_SUICIDE, "unsafe": CRISIS_UNSAFE}

# Words that point at online sexual abuse or sextortion: then Helpwanted fits best.
_ONLINE_ABUSE_HINTS = ("foto", "naakt", "nude", "video", "filmpje", "sexting", "online",
                       "insta", "snap", "chantage", "chanteert", "verspreid", "webcam")


def crisis_text(kind: str, crisis: CrisisLines, user_text: str, minor_hint: bool = True) -> str:
    """The crisis numbers that fit this kind of danger, warm and direct."""
    lines: list[str]
    if kind == CRISIS_SUICIDE:
        opening = ("Wat goed dat je dit vertelt. Dit klinkt echt heel zwaar, "
                   "en je hoeft er niet alleen mee te blijven.")
        lines = [f"Praat er nu meteen over met {crisis.suicide_prevention}",
                 f"Ben je in direct gevaar? Bel {crisis.emergency}."]
    else:
        opening = "Wat goed dat je dit vertelt. Jouw veiligheid gaat nu voor alles."
        lines = [f"Ben je nu in gevaar? Bel meteen {crisis.emergency}.",
                 crisis.domestic_violence]
        lowered = user_text.lower()
        if any(hint in lowered for hint in _ONLINE_ABUSE_HINTS):
            lines.append(crisis.online_abuse)
    if minor_hint:
        lines.append(crisis.children)
    bullets = "\n".join(f"• {line}" for line in lines)
    return f"{opening}\n{bullets}"


WAITING_CRISIS_FOLLOW_UP = ("Ik heb de hulpverleners laten weten dat het nu echt belangrijk "
                            "is. Er komt zo snel mogelijk iemand bij je. Ik blijf hier.")
