"""The lexicon's subject flags, read from the message as typed and as repaired.

Rasa's RegexFeaturizer matches the lexicon (data/nlu/lexicon.yml) on the text as typed, so
"ik word gepsest" or "ikwordgepest" loses the bullying flag that "ik word gepest" has — and
a classifier that leans on the flags then does worse on typos than one without them
(make evaluate's robustness set showed it: no-spaces F1 0.87 → 0.77). This featurizer also
matches the spelling normaliser's repaired text (nlu.spelling: "ik word gepest"), and a
subject counts when either form names it. Sequence features stay those of the typed text:
the repaired text has no token offsets to mark.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.spelling import NORMALISED_TEXT


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True
)
class LexiconFeaturizer(RegexFeaturizer):
    """RegexFeaturizer whose sentence flags also read the spelling-repaired text."""

    def _features_for_patterns(
        self, message: Message, attribute: str
    ) -> tuple[Any, Any]:
        sequence, sentence = super()._features_for_patterns(message, attribute)
        repaired = message.get(NORMALISED_TEXT) if attribute == TEXT else None
        if sentence is None or not repaired or repaired == message.get(attribute):
            return sequence, sentence
        flags = 0 if self.case_sensitive else re.IGNORECASE
        flags_row = np.asarray(sentence.todense(), dtype=np.float64)
        for index, pattern in enumerate(self.known_patterns):
            if re.search(pattern["pattern"], repaired, flags=flags):
                flags_row[0][index] = 1.0
        return sequence, scipy.sparse.coo_matrix(flags_row)
