"""The exceptions a user can see.

Every error headstart raises for bad input or a bad setting derives from
:class:`HeadstartError` and also from the builtin it resembles, so callers can
catch either. The command line prints the message (never a traceback) and exits
with status 2.
"""

from __future__ import annotations


class HeadstartError(Exception):
    """Base class: a problem the user can act on."""


class ConfigError(HeadstartError, ValueError):
    """An option or combination of options is invalid."""


class DataError(HeadstartError, ValueError):
    """Input data is missing, unreadable or unusable for training."""


class ModelNotFoundError(HeadstartError, LookupError):
    """A base model name or path does not resolve to usable weights."""


class RunDirError(HeadstartError, FileNotFoundError):
    """A run directory is missing or incomplete."""
