"""Offline question answering over Chinese planning documents."""

__version__ = "0.1.0"
