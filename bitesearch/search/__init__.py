"""Search: a Split's passages in, ranked talks with snippets out.

store.py is the one object over the archive's search files (the Whoosh index, its numpy tables,
the passage vectors, the query weights); query.py answers a query from them.

    embed.py      MiniLM sentence vectors in numpy
    vectors.py    passage vectors, cached per edition, gathered beside the index
    index.py      the Whoosh schema and documents
    tables.py     numpy postings with Whoosh's BM25F scores, for the query path
    store.py      every read and write of index/, in one order, under one lock
    filters.py    query filters checked against the archive
    topics.py     the topic-synonym table
    suggest.py    "did you mean"
    snippets.py   highlighted snippets
    hybrid.py     the query's vector, vector ranking, reciprocal rank fusion
    cite.py       a hit's citation: who, what, which edition, when, the moment, the link
    caps.py       what one query may cost: fuzzy distance, words a prefix stands for
    query.py      a query: parse, rank, group by talk
"""
