"""Vidjil Lab: V(D)J clone detection and the lab server around it."""

__version__ = "0.1.0"

__all__ = ["__version__"]
