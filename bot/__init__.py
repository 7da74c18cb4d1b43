"""broekzak gateway: channels, conversations, handoff and the worker inbox."""
