"""The benchmark's questions: the labelled questions of eval/queries.jsonl, then rewordings of
some of them (a polite prefix or a suffix) until there are enough.

The rewordings are fixed and mechanical, chosen evenly across the file, so nothing is tuned to
them; they only make the set large enough for a stable p95.
"""

from __future__ import annotations

import json
from pathlib import Path

EVAL_QUERIES = Path(__file__).resolve().parent.parent / "eval" / "queries.jsonl"

# (prefix, suffix) pairs: how people pad a question without changing what it asks.
_REWORDINGS = (
    ("请问，", ""),
    ("", "呢？"),
    ("麻烦查一下：", ""),
    ("我想了解一下，", ""),
    ("", "，谢谢"),
    ("咨询一下：", ""),
    ("", "，在哪份文件里有规定"),
)

# Asked before timing starts, so lazy set-up (jieba's dictionary, torch's first call, SQLite's
# page cache) is not timed; none of these is in the eval set.
WARM_UP = (
    "学校美育工作的主要目标是什么",
    "艺术课程的课时有什么要求",
    "谁负责学生资助工作",
    "营养改善计划由哪个部门牵头",
    "局人事科负责哪些工作",
    "乡村教师队伍建设有哪些措施",
    "美育教师配备",
    "过渡期是几年",
    "高雅艺术进校园怎么开展",
    "控辍保学",
)


def eval_questions(path: Path = EVAL_QUERIES) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["q"] for line in handle if line.strip()]


def benchmark_questions(count: int = 200, path: Path = EVAL_QUERIES) -> list[str]:
    """``count`` questions: the eval questions first, then rewordings spread evenly over them."""
    base = eval_questions(path)
    if count <= len(base):
        return base[:count]
    extra = count - len(base)
    questions = list(base)
    for i in range(extra):
        original = base[(i * len(base)) // extra]
        prefix, suffix = _REWORDINGS[i % len(_REWORDINGS)]
        questions.append(f"{prefix}{original.rstrip('？?')}{suffix}")
    return questions
