"""Evaluation: Fréchet Inception Distance and instance-level diversity measures."""
