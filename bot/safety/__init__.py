"""The crisis safety net: curated Dutch patterns on the raw text, before and beside NLU."""
