"""Output: search results, transcripts and talk tables as people and scripts read them.

hitlist.py  hit lists as md, json or csv
views.py    rich views of hits, facets and transcripts
export.py   transcript writers looked up by format (md, txt, srt, vtt, json)
context.py  a talk's transcript around a moment (`show`)
render.py   ingest and talks tables, the ingest progress bar
"""
