"""Full-text search over stored stories, in the database's own engine.

Each summarised story has one document in ``story_search`` (headline, lede, sections,
key facts and the titles of its articles), rewritten when a new summary is stored and
removed when the story is merged into another. The index is the database's:

* SQLite: an external-content FTS5 table ``story_search_fts`` kept in step by triggers,
  with the Porter stemmer over Unicode words (``plants`` finds "plant").
* PostgreSQL: a ``tsvector`` column ``tsv`` with a GIN index, built with the text-search
  configuration of the story's language where PostgreSQL has one (``simple`` otherwise).
  A query is run in every configuration the stored stories use, so an English word is
  stemmed the English way against English stories.

Both take the topic syntax (``bot.stories.topics``): words, phrases, OR and exclusions.
Results are newest first by the story's last update. Migration 0006 creates the index;
``include_object`` hides it from the model-versus-database comparison.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Row,
    Select,
    Table,
    and_,
    cast,
    column,
    delete,
    false,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.domain import Story, Summary
from bot.stories.topics import Term, TopicQuery
from storage.base import SqlBase
from storage.models import STORIES, STORY_SEARCH, ArticleRow, StorySearchRow

# Language (BCP 47 primary subtag) -> PostgreSQL text-search configuration (PostgreSQL 13+).
PG_CONFIGS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}
SEARCH_INTERNALS = {"story_search_fts", "ix_story_search_tsv"}
MAX_BODY_CHARS = 20_000


def pg_config(language: str) -> str:
    return PG_CONFIGS.get(language.split("-", 1)[0].lower(), "simple")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's filter: the full-text index is not in the models (see the module doc)."""
    if name is None:
        return True
    if type_ == "table" and name.startswith("story_search_fts"):
        return False
    if type_ == "column" and name == "tsv" and getattr(obj, "table", None) is not None:
        return str(obj.table.name) != "story_search"
    return name not in SEARCH_INTERNALS


# ---------------------------------------------------------------- documents


def document(summary: Summary) -> str:
    """The text a story is found by: headline, summary and its articles' titles."""
    parts = [summary.headline]
    parts.extend(s.text for s in summary.lede)
    for section in summary.sections:
        parts.append(section.heading)
        parts.extend(s.text for s in section.sentences)
    parts.extend(s.text for s in summary.key_facts)
    parts.extend(ref.title for ref in summary.sources)
    return "\n".join(p for p in parts if p)[:MAX_BODY_CHARS]


async def index_summaries(s: AsyncSession, summaries: Sequence[Summary]) -> None:
    """Write each story's search document from its summary (same transaction); of several
    summaries of one story, the last given. A merged or unknown story gets none."""
    latest = {summary.story_id: summary for summary in summaries}
    stories = await _rows_by_story(s, STORIES, "id", list(latest))
    live = [x for sid, x in latest.items() if sid in stories and stories[sid].merged_into is None]
    if not live:
        return
    cited = sorted({ref.article_id for x in live for ref in x.sources if ref.article_id})
    language_of: dict[int, str] = {}
    for start in range(0, len(cited), _CHUNK):
        rows = await s.execute(
            select(ArticleRow.id, ArticleRow.language).where(
                ArticleRow.id.in_(cited[start : start + _CHUNK])
            )
        )
        language_of.update((int(i), str(lang or "")) for i, lang in rows)
    # A changed story's document moves to a new row, so row order is update order: the
    # newest-first search reads the index backwards and stops after one page.
    await _delete_documents(s, [x.story_id for x in live])
    documents = []
    for summary in live:
        languages = Counter[str]()
        ids = sorted({ref.article_id for ref in summary.sources if ref.article_id})
        languages.update(lang for i in ids if (lang := language_of.get(i)) and lang != "und")
        language = languages.most_common(1)[0][0] if languages else "und"
        story = stories[summary.story_id]
        documents.append((summary.story_id, language, story.updated_at, document(summary)))
    await _add_many(s, documents)


async def follow_stories(s: AsyncSession, stories: Sequence[Story]) -> None:
    """Move each story's document with it (see ``index_summaries``); drop a merged
    story's. Of several saves of one story, the last given counts."""
    latest = {story.id: story for story in stories}
    rows = await _rows_by_story(s, STORY_SEARCH, "story_id", list(latest))
    moving = [
        row
        for sid, row in rows.items()
        if not (row.updated_at == latest[sid].updated_at and latest[sid].merged_into is None)
    ]
    if not moving:
        return
    await _delete_documents(s, [row.story_id for row in moving])
    await _add_many(
        s,
        [
            (row.story_id, row.language, latest[row.story_id].updated_at, row.body)
            for row in moving
            if latest[row.story_id].merged_into is None
        ],
    )


_CHUNK = 2000


async def _rows_by_story(
    s: AsyncSession, rows_of: Table, key: str, ids: list[str]
) -> dict[str, Any]:
    """Rows of ``rows_of`` by their ``key`` column: plain rows, not ORM objects, since
    they are only read (or copied)."""
    by = rows_of.c[key]
    found: dict[str, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await s.execute(select(rows_of).where(by.in_(ids[start : start + _CHUNK])))
        found.update((str(r._mapping[key]), r) for r in rows)
    return found


async def _delete_documents(s: AsyncSession, story_ids: list[str]) -> None:
    for start in range(0, len(story_ids), _CHUNK):
        await s.execute(
            delete(STORY_SEARCH).where(
                STORY_SEARCH.c.story_id.in_(story_ids[start : start + _CHUNK])
            )
        )


async def _add_many(s: AsyncSession, documents: Sequence[tuple[str, str, datetime, str]]) -> None:
    """Insert documents (story, language, updated at, body) in the order given."""
    if not documents:
        return
    rows = [
        {"story_id": story_id, "language": language, "updated_at": when, "body": body}
        for story_id, language, when, body in documents
    ]
    if s.bind.dialect.name != "postgresql":
        await s.execute(insert(STORY_SEARCH), rows)  # FTS5 follows by trigger
        return
    added = await s.execute(
        insert(STORY_SEARCH).returning(
            STORY_SEARCH.c.id, STORY_SEARCH.c.language, sort_by_parameter_order=True
        ),
        rows,
    )
    by_config: dict[str, list[int]] = defaultdict(list)
    for row_id, language in added:
        by_config[pg_config(language)].append(row_id)
    for config, ids in by_config.items():
        await s.execute(
            text(
                "UPDATE story_search SET tsv = to_tsvector(CAST(:cfg AS regconfig), body) "
                "WHERE id = ANY(:ids)"
            ),
            {"cfg": config, "ids": ids},
        )


# ---------------------------------------------------------------- queries


def _fts_term(term: Term) -> str:
    return '"' + term.display.replace('"', '""') + '"'


def _fts_any(terms: Sequence[Term]) -> str:
    return "(" + " OR ".join(_fts_term(t) for t in terms) + ")"


def fts5_match(query: TopicQuery) -> tuple[str | None, str | None]:
    """The FTS5 MATCH expressions (what must match, what must not) of a topic query."""
    positive = " AND ".join(_fts_any(g) for g in query.groups) if query.groups else None
    negative = _fts_any(query.exclusions) if query.exclusions else None
    return (None if query.everything else positive), negative


def _pg_term(term: Term, config: str) -> Any:
    make: Any = func.phraseto_tsquery if term.phrase else func.plainto_tsquery
    return make(cast(config, REGCONFIG), term.display)


def _pg_matches(query: TopicQuery, configs: Sequence[str]) -> tuple[Any, Any]:
    """(what must match, what must not) as SQL over ``story_search.tsv``, any config."""
    tsv: Any = literal_column("story_search.tsv")

    def hit(term: Term, config: str) -> Any:
        return tsv.op("@@")(_pg_term(term, config))

    positive = None
    if not query.everything:
        positive = or_(
            *(and_(*(or_(*(hit(t, c) for t in group)) for group in query.groups)) for c in configs)
        )
    negative = None
    if query.exclusions:
        negative = or_(*(hit(t, c) for t in query.exclusions for c in configs))
    return positive, negative


FTS = table("story_search_fts", column("rowid", Integer))


def _fts5_rowids(match: str) -> Any:
    rowids = text("SELECT rowid FROM story_search_fts WHERE story_search_fts MATCH :fts_exclude")
    return rowids.bindparams(fts_exclude=match).columns(column("rowid", Integer))


class SearchStorage(SqlBase):
    async def _stories(self, s: AsyncSession, rows: Sequence[Row[Any]]) -> list[Story]:
        raise NotImplementedError  # SqlStorage maps story rows

    async def search_stories(
        self, query: TopicQuery, *, limit: int, offset: int = 0, since: datetime | None = None
    ) -> list[Story]:
        async def work(s: AsyncSession) -> list[Story]:
            chosen: Select[tuple[str]] = select(StorySearchRow.story_id)
            if self.dialect == "postgresql":
                chosen = await self._pg_filter(s, chosen, query)
                newest_first: Any = StorySearchRow.id.desc()
            else:
                chosen, newest_first = self._sqlite_filter(chosen, query)
            if since is not None:
                chosen = chosen.where(StorySearchRow.updated_at >= since)
            chosen = chosen.order_by(newest_first).limit(limit).offset(offset)
            ids = list((await s.execute(chosen)).scalars())
            if not ids:
                return []
            found = await s.execute(select(STORIES).where(STORIES.c.id.in_(ids)))
            rows = {r.id: r for r in found}
            return await self._stories(s, [rows[i] for i in ids if i in rows])

        if limit <= 0:
            return []
        result: list[Story] = await self.run(work)
        return result

    def _sqlite_filter(
        self, chosen: Select[tuple[str]], query: TopicQuery
    ) -> tuple[Select[tuple[str]], Any]:
        """The FTS5 table drives the query in rowid order, newest document first (a
        document moves to a new rowid whenever its story changes), so a LIMIT stops early
        even when a word is in every story."""
        positive, negative = fts5_match(query)
        if positive is None:
            if negative is not None:
                chosen = chosen.where(StorySearchRow.id.not_in(_fts5_rowids(negative)))
            return chosen, StorySearchRow.id.desc()
        match = positive if negative is None else f"{positive} NOT {negative}"
        chosen = chosen.join_from(StorySearchRow, FTS, FTS.c.rowid == StorySearchRow.id).where(
            text("story_search_fts MATCH :fts_match").bindparams(fts_match=match)
        )
        return chosen, FTS.c.rowid.desc()

    async def _pg_filter(
        self, s: AsyncSession, chosen: Select[tuple[str]], query: TopicQuery
    ) -> Select[tuple[str]]:
        languages = (await s.execute(select(StorySearchRow.language).distinct())).scalars()
        configs = sorted({pg_config(lang) for lang in languages})
        if not configs:
            return chosen.where(false())
        positive, negative = _pg_matches(query, configs)
        if positive is not None:
            chosen = chosen.where(positive)
        if negative is not None:
            chosen = chosen.where(not_(negative))
        return chosen
