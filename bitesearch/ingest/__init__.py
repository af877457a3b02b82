"""Ingest: the pipeline's entry point, from SOURCE arguments to an indexed edition.

recording.py  one recording's stages (copy, transcribe, split, clips, index), each kept
              on disk with the key of its inputs, so a re-run finishes what a kill left
batch.py      every item of every source, --jobs at once, failures reported
"""
