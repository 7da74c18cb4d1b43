"""The admins' NLU inbox: what the bot did not understand, labelled into training data."""
