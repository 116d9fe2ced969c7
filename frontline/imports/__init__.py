"""CSV imports: every bad row is reported by line and column; all rows are written or none."""

from .csvfile import Column, ImportFailed, RowError, read_rows

__all__ = ["Column", "ImportFailed", "RowError", "read_rows"]
