"""One exception tree for everything the analytic models refuse."""


class ModelError(Exception):
    """Base class: every error raised by `models` is one of these."""


class InvalidInputError(ModelError, ValueError):
    """A DataFrame or request does not meet its contract."""


class InsufficientDataError(InvalidInputError):
    """Too few rows (or too few positives) to train or validate a model."""


class UnknownLaneError(InvalidInputError):
    """A quote names a lane the pricing model was not trained on."""


class CapacityError(InvalidInputError):
    """A flight has no usable capacity (zero or negative)."""


class ModelFileError(ModelError):
    """A model file is missing, corrupted or does not match its card."""


class UntrustedTypeError(ModelFileError):
    """A model file holds types outside the trusted list; it is not loaded."""


class VersionMismatchError(ModelFileError):
    """A model file was written with library versions that differ from ours."""
