"""Sources: what `ingest` is given, turned into items to fetch.

Takes a SOURCE argument (a file, an http(s) URL, a podcast feed, a YouTube/SoundCloud page, an
edition's write-up page) and gives `Item`s with stable ids, their programmes where the source
says them, and each item's audio (and captions) downloaded into the archive.

    common.py     Item, SourceOptions; edition numbers, series and "Speaker: Title" lines
    fetch.py      HTTP: .part files, Range resume, retries, size cap, checked redirects
    network.py    which addresses may be reached: private networks refused at every hop
    feeds.py      podcast feeds (feedparser over defusedxml)
    platforms.py  YouTube, SoundCloud and <video> pages through yt-dlp
    pages.py      an edition's write-up page as its programme
    captions.py   WebVTT, SubRip and Whisper JSON as a Transcript
    listing.py    a SOURCE expanded to items; an item fetched; a dry run's verdict
"""
