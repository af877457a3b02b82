"""Transcription: 16 kHz samples in, a `Transcript` of timed words out.

Engines sit behind the `Engine` protocol (common.py) and are looked up by name (engines.py);
run.py drives one over a recording's blocks on every worker.

    common.py         TranscribeOptions, the Engine protocol, model names
    fasterwhisper.py  faster-whisper (CTranslate2, int8): the default
    openaiwhisper.py  openai-whisper (PyTorch, float32): the reference
    ct2weights.py     a CTranslate2 model.bin read as openai-whisper's state dict
    engines.py        the registry: engines by name, load_engine, model checks
    run.py            blocks transcribed in parallel into one Transcript; transcript_key
"""
