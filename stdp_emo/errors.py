"""User-facing errors.

Every problem caused by the user's input (a missing file, a corrupt clip, a
malformed name, a bad config key) raises :class:`StdpEmoError` with a single
line that names the file or key and what is wrong.  The CLI prints that line
to stderr and exits with status 2, with no traceback.
"""


class StdpEmoError(Exception):
    """An error caused by bad input, reported to the user as one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


class ConfigError(StdpEmoError):
    """A configuration file or value is invalid (unknown key, wrong type, bad value)."""


class DataError(StdpEmoError):
    """A dataset root, file name or file content is invalid."""
