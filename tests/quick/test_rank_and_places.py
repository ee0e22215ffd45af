"""The second stage's word weights and the places a question names: the same answers whatever the
size of the store or the registry."""

import math

import pytest

from indexer.answering.rank import IDF_SAMPLE, Judge, longest_shared_run
from indexer.ingest.places import default_places


class _Words:
    def tokens(self, text: str, drop_stopwords: bool = True) -> list[str]:
        return text.split()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("湖北省美育教师培训由哪个部门负责？", ["湖北省"]),  # 湖北 inside 湖北省 is not named again
        ("咸宁市和北京市昌平区的学校", ["咸宁市", "北京市", "昌平区"]),  # longest names first
        ("大连的美育课程开课率要求", ["大连"]),
        ("文山州的艺术教育", ["文山州"]),
        ("特岗计划谁负责", []),
        ("", []),
    ],
)
def test_the_places_a_text_names(text, names):
    assert [name for name, _ in default_places().in_text(text)] == names


def test_word_rarity_is_exact_up_to_the_sample_and_close_beyond():
    small = Judge(_Words(), ["特殊教育 学校"] * 10 + ["学校"] * 90)
    assert small.idf("特殊教育") == pytest.approx(math.log(1 + 100 / 11))
    texts = ["特殊教育 学校" if i % 4 == 0 else "学校" for i in range(4 * IDF_SAMPLE)]
    large = Judge(_Words(), texts)
    # a quarter of the texts say 特殊教育: the sample says about the same
    assert large.idf("特殊教育") == pytest.approx(math.log(1 + 4), rel=0.05)
    assert large.idf("学校") < large.idf("特殊教育")


def test_the_longest_run_of_the_question_a_text_holds():
    assert longest_shared_run("特殊教育学校布局调整", "合理布局义务教育学校和特殊教育学校") == 6
    assert longest_shared_run("过渡期", "") == 0
