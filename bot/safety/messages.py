"""What a young person in danger reads at once: the crisis lines that fit (safety.md).

Used by the action server (action_crisis) and by the gateway itself while a conversation
waits for or is with a worker — the same words either way.
"""

from __future__ import annotations

import re

from bot.config import CrisisLines

CRISIS_SUICIDE = "crisis_suicide_selfharm"
CRISIS_UNSAFE = "crisis_unsafe"
KIND_TO_INTENT = {"suicide_selfharm": CRISIS_SUICIDE, "unsafe": CRISIS_UNSAFE}

# Words that point at online sexual abuse or sextortion: then Helpwanted fits best.
_ONLINE_ABUSE_HINTS = ("foto", "naakt", "nude", "video", "filmpje", "sexting", "online",
                       "insta", "snap", "chantage", "chanteert", "verspreid", "webcam")

# Something already taken, or someone who no longer responds or breathes: a medical
# emergency, where 112 comes before any helpline — "heb net een strip pillen genomen" needs
# an ambulance before it needs 113, and a friend who went quiet after ket needs neither
# Veilig Thuis nor a chat. Deliberately wide: a needless "bel 112" line costs nothing here,
# the crisis flow has already started.
_MEDICAL_EMERGENCY = re.compile(
    r"\b(overdosis|overdose|od)\b"
    r"|\b(te ?veel|alles|een hele strip|hele doos|strip|doosje|potje)\b.{0,40}"
    r"\b(genomen|geslikt|ingenomen|opgegeten|gebruikt|gedronken)\b"
    r"|\b(pillen|pilletjes|tabletten|paracetamol|medicijnen|slaappillen|oxazepam|ket|ghb)\b"
    r".{0,40}\b(genomen|geslikt|ingenomen)\b"
    r"|\b(reageert|reageren|ademt|ademen)( \w+)? (niet|nie|ni|amper|nauwelijks|slecht|raar)\b"
    r"(?!( meer)? (op|naar|met|tegen)\b)"  # "reageert niet op mn appjes" is no emergency
    r"|\b(bewusteloos|buiten bewustzijn|blauwe lippen|krijg geen lucht)\b"
    r"|\b(wordt|worden|word) (niet|nie|ni) (meer )?wakker\b")

# Violence words that keep Veilig Thuis among the lines when the message is also medical
# ("hij sloeg haar en nu reageert ze niet").
_VIOLENCE_HINTS = re.compile(
    r"\b(sla|slaat|slaan|sloeg|geslagen|schopt|schopte|mishandel\w*|klappen|dreigt|bedreigt"
    r"|verkracht\w*|aangerand)\b")


def crisis_text(kind: str, crisis: CrisisLines, user_text: str, minor_hint: bool = True) -> str:
    """The crisis numbers that fit this kind of danger, warm and direct."""
    lowered = user_text.lower()
    medical = _MEDICAL_EMERGENCY.search(lowered) is not None
    lines: list[str] = []
    if medical:
        lines.append(f"Heeft iemand (of jij) iets ingenomen, of reageert of ademt iemand niet "
                     f"goed? Bel nu meteen {crisis.emergency} en blijf erbij. De ambulance "
                     f"komt om te helpen, niet om je te straffen.")
    if kind == CRISIS_SUICIDE:
        opening = ("Wat goed dat je dit vertelt. Dit klinkt echt heel zwaar, "
                   "en je hoeft er niet alleen mee te blijven.")
        lines.append(f"Praat er nu meteen over met {crisis.suicide_prevention}")
        if not medical:
            lines.append(f"Ben je in direct gevaar? Bel {crisis.emergency}.")
    else:
        opening = "Wat goed dat je dit vertelt. Jouw veiligheid gaat nu voor alles."
        if not medical:
            lines += [f"Ben je nu in gevaar? Bel meteen {crisis.emergency}.",
                      crisis.domestic_violence]
        elif _VIOLENCE_HINTS.search(lowered):
            lines.append(crisis.domestic_violence)
        if any(hint in lowered for hint in _ONLINE_ABUSE_HINTS):
            lines.append(crisis.online_abuse)
    if minor_hint:
        lines.append(crisis.children)
    bullets = "\n".join(f"• {line}" for line in lines)
    return f"{opening}\n{bullets}"


WAITING_CRISIS_FOLLOW_UP = ("Ik heb de hulpverleners laten weten dat het nu echt belangrijk "
                            "is. Er komt zo snel mogelijk iemand bij je. Ik blijf hier.")
