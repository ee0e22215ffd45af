"""Words for BM25: jieba in search mode with a dictionary drawn from the store (unit names,
officials, terms the documents put in quotes such as “特岗计划”), question words left out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)

# Programme names and terms of art that jieba's general dictionary cuts apart.
DOMAIN_TERMS = (
    "控辍保学",
    "劝返复学",
    "特岗计划",
    "银龄计划",
    "国培",
    "省培",
    "市培",
    "县管校聘",
    "三个课堂",
    "四个不摘",
    "营养改善计划",
    "学生资助",
    "家校共育",
    "留守儿童",
    "困境儿童",
    "耕读教育",
    "立德树人",
    "乡村振兴",
    "脱贫攻坚",
    "过渡期",
    "普惠性幼儿园",
    "学区化",
    "集团化办学",
    "美育",
    "美育教师",
    "艺术素质测评",
    "一校一品",
    "一校多品",
    "中华优秀传统文化",
    "高雅艺术进校园",
    "美育浸润",
    "兼职教师",
    "课后服务",
    # the short forms of the national offices, so that they are words of a question
    "国办",
    "中办",
)
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PAIR = "#"  # marks a character pair apart from a word that happens to be written the same
_QUOTED = re.compile(r"[“\"]([\u4e00-\u9fff]{2,8})[”\"]")
_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")

# Question words say what kind of answer is wanted, not what it is about.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "等",
        "由",
        "对",
        "为",
        "把",
        "被",
        "将",
        "要",
        "有",
        "这",
        "那",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "哪",
        "谁",
        "什么",
        "哪个",
        "哪些",
        "哪条",
        "哪里",
        "几",
        "几年",
        "多少",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "负责",
        "牵头",
        "部门",
        "单位",
        "科室",
        "领导",
        "责任",
        "责任单位",
        "规定",
        "文件",
        "条款",
        "问",
        "请问",
        "一下",
        "找",
        "归",
        "管",
        "做",
        "干",
        "讲",
        "说",
        "内容",
        "工作",
        "任务",
        "相关",
        "有关",
        "方面",
        "进行",
        "开展",
        "一个",
        "我们",
        "你们",
        "他们",
        "哪家",
    ]
)


class Tokenizer:
    """jieba in search mode with the store's own words added, so unit names and programmes stay whole."""

    def __init__(self, extra_words: Iterable[str] = ()):
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        for word in (*DOMAIN_TERMS, *extra_words):
            if len(word) >= 2:
                self._jieba.add_word(word, freq=50000)

    def tokens(self, text: str, drop_stopwords: bool = True) -> list[str]:
        words = []
        for word in self._jieba.cut_for_search(text):
            word = word.strip().lower()
            if not word or not _WORD.search(word):
                continue
            if drop_stopwords and word in STOPWORDS:
                continue
            words.append(word)
        return words

    def index_terms(self, text: str) -> list[str]:
        """What BM25 indexes and looks up: the words, and every pair of adjacent Chinese
        characters besides, so that a question worded otherwise than the text still meets it
        (兼职老师 and 兼职教师 share 兼职; 音乐美术课 and 美术课程 share 美术)."""
        pairs = [
            f"{_PAIR}{run[i : i + 2]}"
            for run in _CJK_RUN.findall(text)
            for i in range(len(run) - 1)
            if run[i : i + 2] not in STOPWORDS
        ]
        return self.tokens(text) + pairs


def quoted_terms(texts: Iterable[str]) -> set[str]:
    """Names the documents themselves put in quotes: “特岗计划”, “三个课堂”, “一校一品”."""
    found: set[str] = set()
    for text in texts:
        found.update(_QUOTED.findall(text))
    return found
