"""A whitespace tokenizer for the way young people type: emoji are words, stretches are not.

Rasa's WhitespaceTokenizer drops emoji that stand apart ("help 😭" → ["help"]) and keeps
stretched spellings as distinct words ("hoiii" ≠ "hoi"). Here every emoji is a token of its
own — "👋", "👍" and "😭" mean greet, affirm and distress — and each token's lemma has its
letters un-stretched (nlu.normalise), which the CountVectorsFeaturizer uses by default.
Punctuation is dropped; apostrophes inside words are kept ("m'n", "zo'n").

Laughter ("haha", "lol", "xd", 😂, 💀) is dropped when the message has other words. Young people
add it to anything — a question about cost, and a crisis it masks ("ik wil gwn dood lol") —
but most training lines that carry it are jokes, so as a feature it taught the classifier
"laughter means out of scope" ("wat kost het lol" → out_of_scope). A message that is only
laughter keeps it: then it is the whole message.
"""

from __future__ import annotations

from typing import Any

import regex
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.normalise import collapse_repeats, is_laughter

# A word (letters/digits, inner apostrophes allowed) or one emoji with its modifiers,
# variation selectors and zero-width-joiner sequences (👍🏽, ❤️, 🏳️‍🌈).
_TOKEN = regex.compile(
    r"[\w]+(?:['’][\w]+)*"
    r"|\p{Extended_Pictographic}(?:[\uFE0F\p{Emoji_Modifier}]|\u200D\p{Extended_Pictographic})*",
    regex.UNICODE,
)


def youth_tokens(text: str) -> list[tuple[str, int]]:
    """Split text into (token, start offset) pairs: words and single emoji."""
    return [(match.group(), match.start()) for match in _TOKEN.finditer(text)]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class YouthTokenizer(WhitespaceTokenizer):
    """Words and emoji as tokens; lemmas with stretched letters collapsed."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> YouthTokenizer:
        """Create the tokenizer (it has nothing to train or load)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenize one attribute of a message (text, or an intent name)."""
        text = message.get(attribute)
        pieces = youth_tokens(text)
        if not pieces:
            # Only punctuation such as "?!" or ":)": keep the whole text as one token, as
            # Rasa's own tokenizer does, so the message still has features.
            stripped = text.strip() or text
            pieces = [(stripped, max(text.find(stripped), 0))]
        tokens = [
            Token(word, start, lemma=collapse_repeats(word.lower())) for word, start in pieces
        ]
        if attribute == TEXT:
            tokens = [token for token in tokens if not is_laughter(token.lemma)] or tokens
        return self._apply_token_pattern(tokens)
