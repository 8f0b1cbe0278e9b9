"""What ``/`` finds: ids, names, metadata values, project and simulator.

The search box holds words and ``key=value`` terms, every one of which a
task must match (case ignored): a word is found inside the task's id, its
project, its simulator or any of its metadata values (its name is one of
them); ``key=value`` wants the metadata value of ``key`` to be ``value``.

The real API filters tasks by id (``task_id_filter``, a substring), status,
project and activity, and by nothing else: not by metadata, not by
simulator, not by a substring of a project. So the search is done here, on a
window of the view: the first :data:`SEARCH_SCAN` tasks of the server's
filtered and sorted list (:meth:`Search.matches`), and, when the search is a
single word, the server also finds the tasks whose id holds it anywhere in
the view (:attr:`Search.id_word`). Nothing here knows about Textual.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inductiva_top.api.models import Task

__all__ = ["SEARCH_SCAN", "Search", "haystack"]

SEARCH_SCAN = 200
"""Tasks of the view a search looks through: one request of this many per refresh."""


@dataclass(frozen=True)
class Search:
    """A parsed search: plain words and ``key=value`` metadata terms, all lower-cased."""

    words: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Search:
        """``plate alpha=0.3`` -> the word ``plate`` and the pair (``alpha``, ``0.3``)."""
        words: list[str] = []
        pairs: list[tuple[str, str]] = []
        for term in text.lower().split():
            key, equals, value = term.partition("=")
            if equals and key:
                pairs.append((key, value))
            elif term.strip("="):
                words.append(term.strip("="))
        return cls(tuple(words), tuple(pairs))

    def __bool__(self) -> bool:
        return bool(self.words or self.pairs)

    @property
    def id_word(self) -> str | None:
        """The word the server can look for in every task's id: a search of one word only."""
        return self.words[0] if len(self.words) == 1 and not self.pairs else None

    def matches(self, task: Task, text: str | None = None) -> bool:
        """Whether ``task`` meets every term; ``text``: its :func:`haystack`, if made already."""
        found = haystack(task) if text is None else text
        if not all(word in found for word in self.words):
            return False
        metadata = _lowered(task.task_metadata)
        return all(metadata.get(key) == value for key, value in self.pairs)


def _lowered(metadata: Mapping[str, str] | None) -> dict[str, str]:
    return {key.lower(): value.strip().lower() for key, value in (metadata or {}).items()}


def haystack(task: Task) -> str:
    """The text a word is looked for in: id, project, simulator and metadata values."""
    parts = [task.task_id, task.project or "", task.simulator or ""]
    parts.extend((task.task_metadata or {}).values())
    # A line break between them: a word never matches across two fields.
    return "\n".join(parts).lower()
