"""Custom actions of the broekzak starter bot (run by the Rasa action server)."""
