"""A place the question names only by what the documents call it ('被称为“现代化港口新城”的地方'):
resolved in code to the place the documents' sentence gives that title ('…、海阳市现代化港口新城、…'),
so that retrieval and the model are asked about the place itself, and the sentence that names it is
cited. The first hop of such a question is then not left to a 1.5B model, which picks a neighbour in the
list."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.grounding.profile import CorpusProfile, chunks_with, squash
from rag.types import Chunk, Passage

_KIND = r"(?:县市区|县市|县区|区县|市县|城市|地区|地方|县|市|区)"
_BRIDGE = re.compile(rf"(?:被)?(?:定位为|称为|誉为|评为|打造为|打造成|建设为|建设成为?|作为)?“([^”]{{3,20}})”的{_KIND}")


@dataclass
class Bridge:
    place: str
    question: str  # the question with the place written in
    passage: Passage  # the chunk whose sentence gives the place its title
    said: str  # for the user: '“现代化港口新城”指海阳市'


def resolve(question: str, profile: CorpusProfile, chunks: Sequence[Chunk]) -> Bridge | None:
    """The bridge when the question's quoted title belongs, in every sentence stating it, to one place (the
    one the sentence names, else its document's)."""
    text = squash(question)
    m = _BRIDGE.search(text)
    if not m:
        return None
    title = m.group(1)
    found = chunks_with(title, chunks, profile)
    owners = [profile.named_before(squash(c.text), title) or profile.docs[c.doc_id].subject for c in found]
    if not found or len(set(owners)) != 1 or not owners[0]:
        return None
    place = owners[0]
    return Bridge(place, f"{text[: m.start()]}{place}{text[m.end():]}", Passage(found[0], 1.0), f"“{title}”指{place}")
