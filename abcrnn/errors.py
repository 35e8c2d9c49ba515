"""The one exception type that abcrnn raises for bad user input."""


class AbcError(ValueError):
    """Bad or unusable ABC input; the message is in Ukrainian and says what to fix."""
