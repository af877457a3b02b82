"""The split: a transcript (and the recording's voices) in, the edition's talks out.

Takes a Transcript, the programme when there is one, and the voice windows of the audio; gives
a `Split`: each talk's start, questions and end, host/talk/questions blocks, and passages each
attributed to a named speaker.

    voicemodel.py, torchfile.py  resemblyzer's voice encoder in numpy (weights read without torch)
    voices.py                    which windows of speech to embed, and their vectors
    diarize.py                   main voices by clustering, windows labelled by a Viterbi pass
    segment.py                   sentences; the split from the words alone
    slots.py, voicesplit.py      slot boundaries; each slot's intro, talk and questions; names
    passages.py                  blocks cut into searchable passages
    edition.py                   the one entry point: split_edition
"""
