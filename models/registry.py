"""Model cards and model files: skops with a trusted-types list, versions checked on load."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio

from models.errors import ModelFileError, UntrustedTypeError, VersionMismatchError

PACKAGE_DIR = Path(__file__).resolve().parent
KEEP_VERSIONS = 3

# Libraries whose version must match exactly (they define the stored objects), and the
# ones where the same major.minor is enough (numeric behaviour, not object layout).
EXACT_LIBRARIES = ("scikit-learn", "skops")
MINOR_LIBRARIES = ("numpy", "scipy", "pandas")

# Everything a model file may contain beyond what skops trusts by default (numpy, builtins
# and most of scikit-learn). Anything else is refused by name before loading: a model file
# is data, never code to run. Adding a type here is a code review, not a runtime option.
TRUSTED_TYPES = frozenset(
    {
        "models.cargo_pricing.QuoteFeatures",
        "models.displacement.BookingCurve",
        "models.guest_value.BetaGeoLogNormal",
        "models.guest_value.RFMFeatures",
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)


@dataclass
class ModelCard:
    """What a model is, what it was trained on and how well it did on its time holdout."""

    name: str
    version: str
    trained_at: str
    data_window: dict[str, str]
    rows: dict[str, int]
    features: list[str]
    metrics: dict[str, Any]
    params: dict[str, Any]
    intended_use: str
    limits: str
    library_versions: dict[str, str] = field(default_factory=lambda: library_versions())
    code_version: str = field(default_factory=lambda: code_version())
    file_sha256: str | None = None

    def to_json(self) -> str:
        """The card as JSON text (numpy scalars become plain numbers)."""
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=_json_default)

    @classmethod
    def from_json(cls, text: str) -> ModelCard:
        """A card back from its JSON text."""
        try:
            return cls(**json.loads(text))
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"model card is not valid: {exc}") from exc


@dataclass
class TrainedModel:
    """A fitted pipeline, any companion estimators, and the card that describes them."""

    card: ModelCard
    pipeline: Any
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The model version every fact produced by this model carries."""
        return self.card.version


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a model card")


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a model file depends on."""
    found = {lib: metadata.version(lib) for lib in (*EXACT_LIBRARIES, *MINOR_LIBRARIES)}
    return {"python": platform.python_version(), **found}


def code_version() -> str:
    """Hash of the models/ sources, plus the git commit when one is at hand."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    source = f"src-{digest.hexdigest()[:12]}"
    commit = _git_commit()
    return f"{source} git-{commit}" if commit else source


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def data_fingerprint(*frames: pd.DataFrame) -> str:
    """Short stable hash of the training data, so equal data gives an equal version suffix."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:10]


def make_version(name: str, trained_at: datetime, fingerprint: str) -> str:
    """Model version string, e.g. ``guest_value@2026-11-23T16:40:00Z-3fa2b9c1d0``."""
    stamp = trained_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{name}@{stamp}-{fingerprint}"


def utc_now() -> datetime:
    """Training time, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def card_text(card: ModelCard) -> str:
    """A card as plain text for the terminal (`flask models card NAME`)."""
    lines = [
        f"{card.name}  {card.version}",
        f"trained at    {card.trained_at}",
        f"data window   {card.data_window.get('start')} .. {card.data_window.get('end')}",
        "rows          " + ", ".join(f"{k}={v}" for k, v in card.rows.items()),
        "features      " + ", ".join(card.features),
        f"code          {card.code_version}",
        "libraries     " + ", ".join(f"{k} {v}" for k, v in card.library_versions.items()),
        "",
        "holdout metrics",
        *_metric_lines(card.metrics, indent="  "),
        "",
        f"intended use  {card.intended_use}",
        f"limits        {card.limits}",
    ]
    return "\n".join(lines)


def _metric_lines(metrics: dict[str, Any], indent: str) -> list[str]:
    lines = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            lines += [f"{indent}{key}:", *_metric_lines(value, indent + "  ")]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            lines += [f"{indent}{key}:", *_table_lines(value, indent + "  ")]
        elif isinstance(value, float):
            lines.append(f"{indent}{key}: {value:.4g}")
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def _table_lines(rows: list[dict[str, Any]], indent: str) -> list[str]:
    headers = list(rows[0])
    cells = [[_cell(row.get(h)) for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    fmt = indent + "  ".join(f"{{:>{w}}}" for w in widths)
    return [fmt.format(*headers), *(fmt.format(*c) for c in cells)]


def _cell(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def save(trained: TrainedModel, directory: str | Path) -> Path:
    """Write model file and card, then switch the `current` pointer atomically; return the file."""
    folder = Path(directory) / trained.card.name
    folder.mkdir(parents=True, exist_ok=True)
    stem = trained.version.split("@", 1)[1].replace(":", "")
    payload = sio.dumps({"pipeline": trained.pipeline, **trained.extras})
    trained.card.file_sha256 = hashlib.sha256(payload).hexdigest()
    model_path = folder / f"{stem}.skops"
    _atomic_write(model_path, payload)
    _atomic_write(folder / f"{stem}.card.json", trained.card.to_json().encode())
    # The pointer moves last: until it does, load() still returns the previous good model.
    pointer = {"version": trained.version, "stem": stem}
    _atomic_write(folder / "current.json", json.dumps(pointer).encode())
    _prune(folder, keep=stem)
    return model_path


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prune(folder: Path, keep: str) -> None:
    stems = sorted({p.name.split(".")[0] for p in folder.glob("*.skops")})
    old = [s for s in stems if s != keep][: max(0, len(stems) - KEEP_VERSIONS)]
    for stem in old:
        for path in folder.glob(f"{stem}.*"):
            path.unlink(missing_ok=True)


def load(directory: str | Path, name: str) -> TrainedModel:
    """Load the current model NAME from DIRECTORY, refusing foreign, stale or unsafe files."""
    folder = Path(directory) / name
    stem = _current_stem(folder, name)
    card = _read_card(folder / f"{stem}.card.json", name)
    check_versions(card)
    payload = _read_payload(folder / f"{stem}.skops", card)
    objects = _safe_loads(payload, folder / f"{stem}.skops")
    if not isinstance(objects, dict) or "pipeline" not in objects:
        raise ModelFileError(f"{folder / stem}.skops is not a Frontline model file")
    pipeline = objects.pop("pipeline")
    return TrainedModel(card=card, pipeline=pipeline, extras=objects)


def _current_stem(folder: Path, name: str) -> str:
    pointer = folder / "current.json"
    if not pointer.exists():
        raise ModelFileError(f"no saved model {name!r} in {folder.parent}: train it first")
    try:
        return str(json.loads(pointer.read_text())["stem"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{pointer} is not a valid model pointer: {exc}") from exc


def _read_card(path: Path, name: str) -> ModelCard:
    if not path.exists():
        raise ModelFileError(f"model card {path} is missing")
    card = ModelCard.from_json(path.read_text())
    if card.name != name:
        raise ModelFileError(f"{path} holds model {card.name!r}, not {name!r}")
    return card


def _read_payload(path: Path, card: ModelCard) -> bytes:
    if not path.exists():
        raise ModelFileError(f"model file {path} is missing")
    payload = path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != card.file_sha256:
        raise ModelFileError(f"{path} does not match its card (corrupted or replaced)")
    return payload


def check_versions(card: ModelCard) -> None:
    """Refuse a card whose library versions differ from the running ones."""
    running = library_versions()
    stored = card.library_versions
    wrong = [lib for lib in EXACT_LIBRARIES if stored.get(lib) != running[lib]]
    wrong += [lib for lib in MINOR_LIBRARIES if _minor(stored.get(lib)) != _minor(running[lib])]
    if wrong:
        detail = ", ".join(f"{lib} {stored.get(lib)} (running {running[lib]})" for lib in wrong)
        raise VersionMismatchError(
            f"model {card.version} was saved with {detail}; retrain it with these libraries"
        )


def _minor(version: str | None) -> tuple[str, ...]:
    return tuple((version or "").split(".")[:2])


def _safe_loads(payload: bytes, path: Path) -> Any:
    try:
        untrusted = sio.get_untrusted_types(data=payload)
    except Exception as exc:  # skops raises many kinds on a bad archive
        raise ModelFileError(f"{path} is not a readable skops file: {exc}") from exc
    unknown = sorted(set(untrusted) - TRUSTED_TYPES)
    if unknown:
        raise UntrustedTypeError(f"{path} holds untrusted types, not loaded: {', '.join(unknown)}")
    try:
        return sio.loads(payload, trusted=list(untrusted))
    except Exception as exc:
        raise ModelFileError(f"{path} could not be loaded: {exc}") from exc


def current_card(directory: str | Path, name: str) -> ModelCard:
    """The card of the current model NAME, read without loading the model itself."""
    folder = Path(directory) / name
    return _read_card(folder / f"{_current_stem(folder, name)}.card.json", name)
