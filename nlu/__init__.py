"""broekzak's own Rasa NLU components: youth-language tokenizer, e5 sentence featurizer and
a linear intent classifier. Referenced from config.yml by their module paths; nothing here
loads a model or downloads anything at import time."""
