"""Citations as data: parse [n] markers, drop the ones that point at no passage, map the rest to
chunks with the supporting sentence, and check each answer sentence's numbers against what it cites."""

from __future__ import annotations

import re

from rag.prompting import REFUSAL
from rag.types import Answer, Citation, ClaimCheck, Passage

_MARK = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")
_SENTENCE = re.compile(r"[^。！？；\n]+(?:[。！？；]|$)")
_LINE_OR_SENTENCE = re.compile(_SENTENCE.pattern, re.M)  # a quote may be a line with no end mark: a date, a row
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def normalize_marks(text: str) -> str:
    """'【1】', '[1,2]' and '[1、2]' all become '[1][2]'."""
    return _MARK.sub(lambda m: "".join(f"[{n}]" for n in re.split(r"\s*[,，、]\s*", m.group(1))), text)


def cited_numbers(text: str) -> list[int]:
    seen: list[int] = []
    for m in _MARK.finditer(text):
        for n in re.split(r"\s*[,，、]\s*", m.group(1)):
            if int(n) not in seen:
                seen.append(int(n))
    return seen


def drop_invalid(text: str, n_passages: int) -> tuple[str, list[int]]:
    """Remove markers that point past the passage list; return the cleaned text and what was removed."""
    text = normalize_marks(text)
    invalid = sorted({n for n in cited_numbers(text) if not 1 <= n <= n_passages})
    cleaned = re.sub(r"\[(\d+)\]", lambda m: "" if int(m.group(1)) in invalid else m.group(0), text)
    return cleaned, invalid


def _numbers(text: str) -> set[str]:
    """Whole numbers as written ('50.5' is not '0.5'); '1,234' counts as '1234'."""
    return set(_NUMBER.findall(re.sub(r"(?<=\d)[,，](?=\d{3}(?!\d))", "", text)))


def split_claims(text: str) -> list[str]:
    """Sentences with their markers; a marker written after the full stop ("…亿元。[1]") belongs to the
    sentence before it, as models often place it there."""
    text = re.sub(r"([。！？；])((?:\[\d+\])+)", r"\2\1", normalize_marks(text))
    return [s.strip() for s in _SENTENCE.findall(text) if re.sub(r"\[\d+\]|\W", "", s.strip())]


_EXPRESSION = re.compile(r"((?:\(?\d+(?:\.\d+)?\)?\s*[+−\-×÷]\s*)+\(?\d+(?:\.\d+)?\)?)\s*([=≈])\s*(\d+(?:\.\d+)?)(%?)")


def _evaluate(expression: str) -> float | None:
    python = expression.replace("−", "-").replace("×", "*").replace("÷", "/")
    while python.count("(") > python.count(")") and python.startswith("("):
        python = python[1:]  # the bracket opening the aside '(300.5−25.1=275.4)'
    if not re.fullmatch(r"[\d.+\-*/() ]+", python):
        return None
    try:
        return float(eval(python, {"__builtins__": {}}, {}))  # digits and operators only, checked above
    except (SyntaxError, ZeroDivisionError):
        return None


def verified_results(text: str) -> set[str]:
    """Numbers a text derives by a written calculation that is right to the precision shown: the result
    of '715.7−510.3=205.4' or '(570−285)÷285≈100%' is as grounded as its inputs."""
    found = set()
    for m in _EXPRESSION.finditer(text):
        value = _evaluate(m.group(1))
        if value is None:
            continue
        shown = m.group(3)
        value = value * 100 if m.group(4) else value  # '…÷285≈100%' states a share in per cent
        places = len(shown.split(".")[1]) if "." in shown else 0
        # '=' states the exact result; '≈' a result rounded to the decimals shown
        tolerance = 1e-9 * max(1.0, abs(value)) if m.group(2) == "=" else 0.5 * 10 ** -places + 1e-9
        if abs(value - float(shown)) <= tolerance:
            found.add(shown)
    return found


def is_refusal(sentence: str) -> bool:
    """The refusal sentence stating no figure; a quoted question before it (“2025年…”：文档中没有…) is
    what is refused, not a claim."""
    return REFUSAL in sentence and not _NUMBER.search(re.sub(r"\[\d+\]|“[^”]*”", "", sentence))


def check_claim(sentence: str, passages: list[Passage], question: str = "") -> ClaimCheck:
    """A sentence is supported when it cites something and every number in it occurs in what it cites;
    numbers the question itself gave (a year, say) are the frame of the answer, not a claim, and a
    number the sentence computes in a written calculation is as good as the numbers it is computed from."""
    numbers = cited_numbers(sentence)
    body = re.sub(r"\[\d+\]", "", sentence)
    if is_refusal(body):
        return ClaimCheck(sentence, [], True)  # 'X：文档中没有相关信息' states an absence, not a fact
    if not numbers:
        return ClaimCheck(sentence, [], False, "没有引用来源")
    known = _numbers(" ".join(passages[n - 1].chunk.text for n in numbers if 1 <= n <= len(passages)))
    missing = sorted(_numbers(body) - known - _numbers(question) - verified_results(body))
    if missing:
        return ClaimCheck(sentence, numbers, False, f"数字 {'、'.join(missing)} 未在所引资料中找到")
    return ClaimCheck(sentence, numbers, True)


def _invented(answer: Answer) -> bool:
    """No sentence is supported and some number appears in none of the passages: the model made the
    answer up (small models do this for questions the documents cannot answer), so it is not shown."""
    if not answer.claims or any(c.supported for c in answer.claims):
        return False
    known = _numbers(" ".join(p.chunk.text for p in answer.passages)) | _numbers(answer.question) \
        | verified_results(answer.text)  # a result its written calculation derives is not invented
    return any(x not in known for x in _numbers(re.sub(r"\[\d+\]", "", answer.text)))


def best_quote(claim: str, passage: Passage) -> str:
    """The passage sentence stating most of the claim's numbers, then sharing most characters with it:
    the span a reader should see (a date or figure, not the sentence around the document's title)."""
    sentences = _LINE_OR_SENTENCE.findall(passage.chunk.text) or [passage.chunk.text]
    bare = re.sub(r"\[\d+\]", "", claim)
    wanted, numbers = set(re.sub(r"\W", "", bare)), re.findall(r"\d+(?:\.\d+)?", bare)
    return max(sentences, key=lambda s: (sum(n in s for n in numbers), len(wanted & set(s)))).strip()


def attach_citations(answer: Answer) -> Answer:
    """Fill answer.text/citations/claims/invalid_citations from the raw model text in answer.text."""
    text, answer.invalid_citations = drop_invalid(answer.text, len(answer.passages))
    answer.text = text.strip()
    answer.refused = is_refusal(answer.text) and "：" not in answer.text  # 'A：…\nB：文档中没有…' is partial
    if answer.refused:
        answer.text = re.sub(r"\[\d+\]", "", answer.text).strip()
        return answer
    answer.claims = [check_claim(s, answer.passages, answer.question) for s in split_claims(answer.text)]
    if _invented(answer):
        answer.withheld, answer.text, answer.claims, answer.refused = answer.text, REFUSAL, [], True
        return answer
    for number in cited_numbers(answer.text):
        passage = answer.passages[number - 1]
        claim = next((c.text for c in answer.claims if number in c.citations), answer.text)
        chunk = passage.chunk
        quote = best_quote(claim, passage)
        page = chunk.page_of(max(chunk.text.find(quote), 0))  # the quote's own page when the chunk spans two
        answer.citations.append(Citation(number, chunk.chunk_id, chunk.doc_id, chunk.title, chunk.heading_path, quote, page))
    return answer
