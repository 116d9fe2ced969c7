"""Marketing's analytic models: plain DataFrames in, facts out; no Flask, no database."""

from models.errors import (
    CapacityError,
    InsufficientDataError,
    InvalidInputError,
    ModelError,
    ModelFileError,
    UnknownLaneError,
    UntrustedTypeError,
    VersionMismatchError,
)

__all__ = [
    "CapacityError",
    "InsufficientDataError",
    "InvalidInputError",
    "ModelError",
    "ModelFileError",
    "UnknownLaneError",
    "UntrustedTypeError",
    "VersionMismatchError",
]
