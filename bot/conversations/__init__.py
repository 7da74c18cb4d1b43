"""Conversations: receiving, ordering and answering the young person's messages."""
