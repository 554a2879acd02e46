"""Vidjil Lab: V(D)J clone detection and the lab server around it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vidjil-kernel")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["__version__"]
