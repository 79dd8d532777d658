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


class WriteError(StdpEmoError):
    """An output could not be written (permission, read-only file system, full disk)."""


def write_error(target, exc: OSError) -> WriteError:
    """One line naming the folder (or file) and what is wrong, from an :class:`OSError`."""
    import errno

    what = {errno.ENOSPC: "no space left on the device", errno.EDQUOT: "disk quota exceeded",
            errno.EROFS: "read-only file system", errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted"}.get(exc.errno, exc.strerror or str(exc))
    return WriteError(f"{target}: cannot write ({what})")
