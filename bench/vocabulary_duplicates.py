"""Where the statistical vocabulary is typed outside rag/vocabulary.py: every string literal in rag/ (docstrings
excluded) and every tuple, list or set of string literals is cut into words (a regex is split at '|', its
character classes and group marks dropped), and a literal holding two or more words of one concept of
rag/vocabulary.py (rise and fall words, bound words, plan periods, administrative and zone suffixes, question
words, units) is listed with its module and line. A hit is a list typed again, or a subset of one chosen
for a reason the line's comment should give. No model, no index; runs in a second:

    PYTHONPATH=$PWD .venv/bin/python bench/vocabulary_duplicates.py
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from rag import vocabulary as v

# one-character count units are too common in any Chinese literal to say anything
_COMMON_UNITS = set("年成个列起轮位名部间层片本场届块例宗份册支头只类种批次张处村镇校园床座条台所项家件套辆")
CONCEPTS = {
    "rise": set(v.INCREASE_WORDS), "fall": set(v.DECLINE_WORDS),
    "bound": set(v.BOUND_BEFORE) | set(v.BOUND_AFTER),
    "plan period": {v.plan_name(n) for n in range(11, 20)},
    "admin suffix": set(v.ADMIN_SUFFIXES) | set(v.ZONE_WORDS) | set(v.ZONE_KINDS),
    "question word": set(v.QUESTION_WORDS) | set(v.QUANTITY_QUESTION_WORDS),
    "unit": {u for u in set(v.BASE_UNITS) | {m + b for m in v.MAGNITUDES for b in ("元", "人", "吨", "户", "亩", "千瓦")}
             if not u.isascii()} - _COMMON_UNITS,
}


def _words(text: str) -> set[str]:
    text = re.sub(r"\[[^\]]*\]|\\[dswDSW]|\?:|\?!|\?<!|\?<=|\?=|[(){}?*+^$\\]", "|", text)
    return {w for w in re.split(r"[|,\s、/]+", text) if w}


def _literals(tree: ast.AST):
    """(line, words) of each collection of string literals, then of each other non-docstring literal."""
    seen = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            seen.add(id(body[0].value))  # a docstring
    for node in ast.walk(tree):
        strings = [e for e in getattr(node, "elts", []) if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and len(strings) >= 2:
            seen |= {id(e) for e in strings}
            yield node.lineno, {e.value for e in strings}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in seen:
            yield node.lineno, _words(node.value)


def main(root: Path = Path("rag")) -> int:
    found = 0
    for path in sorted(root.rglob("*.py")):
        if path.name == "vocabulary.py":
            continue
        for line, words in _literals(ast.parse(path.read_text(encoding="utf-8"))):
            for name, vocab in CONCEPTS.items():
                hit = sorted(words & vocab)
                if len(hit) >= 2:
                    found += 1
                    print(f"{path}:{line}: {name}: {' '.join(hit)}")
    print(f"{found} literal(s) outside rag/vocabulary.py spelling two or more words of one concept")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("rag")))
