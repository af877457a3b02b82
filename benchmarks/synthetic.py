"""A synthetic Data Bites archive: 250 editions, 1,000 talks of about 1,200 words, no audio.

Each edition folder gets the same three files ingest writes (edition.json, transcript.json
with timed words, talks.json with talks, blocks and passages), made with the dataclasses of
bitesearch.models. Talks are about fifteen public-sector data topics, spoken in sentences
filled from realistic word lists. Twenty-four of them are about one specific subject each
(`LABELLED`): the topic queries a researcher would type for them, often in other words than
the talk's, are the relevance set, with the talk that should come first. Fixed seed: the same
archive every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from bitesearch.archive import EDITION_FILE, SPLIT_FILE, TRANSCRIPT_FILE, Archive, write_json
from bitesearch.models import (
    Block,
    Edition,
    Passage,
    Programme,
    Segment,
    Source,
    Split,
    Talk,
    Transcript,
    Word,
)

EDITIONS = 250
TALKS_PER_EDITION = 4
TALK_WORDS = 1200
QA_WORDS = 200  # of the talk's words, the questions and answers
PASSAGE_WORDS = 100  # about 40 s of speech at 2.5 words a second
WORDS_PER_SECOND = 2.5
SEED = 56

PLACES = ["Leeds", "Bristol", "Manchester", "Liverpool", "St Helens", "Wirral", "Sefton",
          "Newcastle", "Sheffield", "Nottingham", "Cardiff", "Glasgow", "Norfolk", "Kent",
          "Cornwall", "Camden", "Hackney", "Birmingham", "Coventry", "Derby"]  # fmt: skip
ORGS = ["City Council", "County Council", "NHS Trust", "Integrated Care Board", "Fire and Rescue",
        "Police", "Combined Authority", "Housing Association", "University"]  # fmt: skip
FIRST = ["Sam", "Priya", "Tom", "Alex", "Fatima", "Owen", "Grace", "Ravi", "Chloe", "Dan", "Mei",
         "Jonah", "Aisha", "Liam", "Nadia", "Ben", "Hannah", "Kofi", "Ella", "Marek"]  # fmt: skip
LAST = ["Milsom", "Shah", "Baker", "Rivers", "Khan", "Jones", "Hughes", "Patel", "Evans", "Okafor",
        "Wright", "Nowak", "Murphy", "Clarke", "Ahmed", "Walsh", "Green", "Lewis", "Byrne",
        "Price"]  # fmt: skip

FILLER = [
    "Thanks for having me, it is great to be here.",
    "Let me start with a bit of background on the team.",
    "We are a small team of {n} analysts in {place}.",
    "That took us longer than we expected, about {n} months in the end.",
    "The hardest part was not the technology, it was the people and the processes.",
    "We worked closely with colleagues in {place} who had tried something similar.",
    "I will say a bit about what went wrong as well as what went right.",
    "Our managers wanted quick wins, so we picked a small problem first.",
    "We wrote everything up on our blog so other councils can reuse it.",
    "If you take one thing away tonight, start small and keep going.",
    "We had to make the case for funding every single year.",
    "The feedback from frontline staff changed our plans completely.",
]
QUESTIONS = [
    "How did you get senior leaders to support the work?",
    "What would you do differently if you started again?",
    "How many people are in the team now?",
    "How do you measure whether it made a difference?",
    "Did you work with any other organisations on this?",
]

TOPICS: dict[str, tuple[list[str], list[str]]] = {
    "open data": (
        ["Open data in {place}", "Publishing open data that people use", "Our open data portal"],
        [
            "We publish {n} open datasets on our portal.",
            "Every open dataset has an owner and an update schedule.",
            "We release data under the Open Government Licence so anyone can reuse it.",
            "Local businesses now build services on our open data.",
            "Publishing the data was the easy part, keeping it up to date was hard.",
            "Residents asked for data on planning applications and bin collections.",
        ],
    ),
    "dashboards": (
        [
            "Dashboards people actually open",
            "Building dashboards for {place}",
            "From spreadsheets to dashboards",
        ],
        [
            "We rebuilt our dashboards in Power BI with one page per team.",
            "Nobody opened the old dashboard with twenty charts on it.",
            "A good dashboard answers one question at a glance.",
            "We show the time of the last refresh at the top of every dashboard.",
            "The dashboard is now used in every weekly performance meeting.",
            "Big numbers at the top and one simple chart below worked best.",
        ],
    ),
    "ai": (
        [
            "Artificial intelligence in {place}",
            "What AI can and cannot do for councils",
            "Machine learning in public services",
        ],
        [
            "We tested an AI assistant to answer questions from residents.",
            "Artificial intelligence is a tool, not a strategy.",
            "The machine learning model was only as good as the data we trained it on.",
            "Large language models draft letters, but a person checks every one.",
            "We keep a register of every algorithm we use and what it decides.",
            "Bias in the training data was the biggest risk we found.",
        ],
    ),
    "data sharing": (
        [
            "Sharing data between services",
            "Data sharing agreements that work",
            "Joining up data across {place}",
        ],
        [
            "We signed a data sharing agreement with the health partners.",
            "Sharing data between services took a year of legal work.",
            "Each partner now shares a monthly extract through a secure platform.",
            "Information governance leads were our strongest allies in the end.",
            "Trust between organisations matters more than the technology.",
            "We linked records from {n} different systems.",
        ],
    ),
    "privacy": (
        ["Privacy by design", "Protecting personal data", "Data protection in practice"],
        [
            "Every project starts with a data protection impact assessment.",
            "We remove names and addresses before the analysts see the data.",
            "Personal data is kept for the shortest time we can justify.",
            "GDPR gave us a reason to clean up old spreadsheets.",
            "Residents have a right to know how their data is used.",
            "Small numbers are suppressed so nobody can be identified.",
        ],
    ),
    "data quality": (
        ["Fixing data quality at the source", "Why our data was wrong", "Clean data first"],
        [
            "We found the same address typed in {n} different ways.",
            "Data quality problems start where the data is entered.",
            "We built automatic checks that flag missing values every night.",
            "Duplicate records were the biggest problem in the case system.",
            "Fixing the data at the source saved hours of cleaning later.",
            "A data quality score is now reported to the board.",
        ],
    ),
    "data skills": (
        ["Data skills for everyone", "Building data literacy", "Training {n} staff in data"],
        [
            "We trained {n} staff in basic data skills last year.",
            "Data literacy means asking good questions of the numbers.",
            "Our data champions run drop in sessions every fortnight.",
            "Managers learned to read a chart before they asked for one.",
            "The course is short, practical and uses our own data.",
            "Confidence with spreadsheets was the first barrier.",
        ],
    ),
    "mapping": (
        ["Maps that change decisions", "Geospatial data in {place}", "Putting services on the map"],
        [
            "We mapped every service location against where people live.",
            "GIS layers from {n} teams now sit in one place.",
            "The map showed gaps in provision nobody had noticed.",
            "Spatial analysis helped us plan new routes.",
            "Address data is the backbone of every map we make.",
            "We publish our boundary files for anyone to use.",
        ],
    ),
    "health data": (
        ["Using health data well", "Population health in {place}", "Data for the NHS front line"],
        [
            "Patient data is linked across hospital and community services.",
            "Clinicians helped us decide which measures matter.",
            "Population health data shows where to focus prevention.",
            "We track hospital discharges every day.",
            "Health inequalities are clear once the data is joined up.",
            "Clinical coding quality varies a lot between wards.",
        ],
    ),
    "housing": (
        ["Housing data in {place}", "Understanding our housing stock", "Data for better homes"],
        [
            "We hold records for {n} council homes.",
            "Repairs data shows which estates need investment first.",
            "Damp and mould reports are now tracked to completion.",
            "Tenants can see the progress of their repair online.",
            "We combined stock condition surveys with repairs history.",
            "Housing waiting lists are reported every month.",
        ],
    ),
    "transport": (
        ["Transport data in {place}", "Moving people with data", "Traffic and travel data"],
        [
            "Traffic counts come from {n} sensors across the city.",
            "Journey times on the main roads are published every hour.",
            "We used travel survey data to plan new routes.",
            "Parking data helped reduce congestion in the centre.",
            "Road safety data guided where we put crossings.",
            "Public transport data is shared with app developers.",
        ],
    ),
    "climate": (
        ["Climate data for net zero", "Measuring our carbon", "Environmental data in {place}"],
        [
            "We measure carbon emissions from every council building.",
            "Net zero targets need reliable data to track progress.",
            "Energy use in schools fell once we shared the figures.",
            "We publish an annual climate report with open data.",
            "Heat maps show the hottest streets in summer.",
            "Waste and recycling rates are tracked by ward.",
        ],
    ),
    "statistics": (
        ["Official statistics made useful", "Small area statistics", "Numbers you can trust"],
        [
            "Official statistics follow a code of practice.",
            "Small area estimates help us plan local services.",
            "Population estimates are revised every year.",
            "We explain the uncertainty around every number we publish.",
            "Survey response rates have fallen over ten years.",
            "The statistics release calendar is public.",
        ],
    ),
    "governance": (
        ["Data governance without the jargon", "Who owns our data", "Data standards in {place}"],
        [
            "Every dataset now has a named owner and a steward.",
            "Data standards mean systems can talk to each other.",
            "The data board meets every month to agree priorities.",
            "We wrote a data strategy that fits on one page.",
            "Metadata tells people what a dataset is and where it came from.",
            "Retention schedules were the least glamorous but most useful work.",
        ],
    ),
    "platforms": (
        ["Moving to a cloud data platform", "Our data warehouse story", "Modern data platforms"],
        [
            "We moved the data warehouse to the cloud last year.",
            "Pipelines now load data every night without manual steps.",
            "Open source tools kept our licence costs down.",
            "The old servers were out of support and costly to run.",
            "Analysts write code in notebooks that are version controlled.",
            "Data engineering skills were hard to recruit.",
        ],
    ),
}


@dataclass(frozen=True)
class Labelled:
    """A talk on one specific subject, and the query that should find it first."""

    topic: str
    title: str
    sentences: tuple[str, ...]
    query: str


LABELLED = [
    Labelled("ai", "Finding potholes before residents do",
             ("We trained a model on ten years of pothole reports.",
              "The model predicts which road segments will crack next winter.",
              "Highway inspectors now visit the roads the model flags first.",
              "Reports of road defects fell by a fifth."), "AI road repairs"),
    Labelled("transport", "Smarter bin lorry rounds",
             ("Bin lorries now follow routes planned from collection data.",
              "Missed bin reports fell after the rounds were redrawn.",
              "Refuse crews helped us check the new rounds."), "waste collection routes"),
    Labelled("data sharing", "Linking school attendance and social care",
             ("School attendance records are now joined with children's social care.",
              "Head teachers see an alert when a vulnerable pupil stops attending.",
              "The link between attendance and safeguarding was clear in the data."),
             "sharing data between schools and social care"),
    Labelled("climate", "River level sensors for flood warnings",
             ("We installed river level sensors along the valley.",
              "Residents get a text when the water rises quickly.",
              "The sensors gave us two extra hours of warning last February."),
             "flooding sensors"),
    Labelled("climate", "Air quality monitors outside schools",
             ("Air quality monitors measure nitrogen dioxide outside every school.",
              "Readings are published each hour as open data.",
              "Parents used the readings to campaign for school streets."),
             "air pollution readings"),
    Labelled("dashboards", "Counting library visits",
             ("Library visits are counted at every door.",
              "Branch managers see footfall for each library each morning.",
              "Late opening hours doubled visits at two branches."), "library footfall"),
    Labelled("transport", "Are the buses on time?",
             ("Bus punctuality is measured from the location of every vehicle.",
              "Operators get a weekly report of late running services.",
              "The worst routes improved once the figures were public."),
             "bus punctuality"),
    Labelled("health data", "Forecasting A and E demand",
             ("We forecast attendances at the emergency department a week ahead.",
              "Rotas are now planned against the forecast.",
              "Winter peaks were predicted within five percent."),
             "predicting emergency department attendances"),
    Labelled("data sharing", "Understanding rough sleeping",
             ("Outreach teams record every person sleeping rough.",
              "Linking outreach and hospital data showed repeat admissions.",
              "Homelessness services now share one case list."), "homelessness data"),
    Labelled("ai", "A chatbot for council tax questions",
             ("Our council tax chatbot answers questions about bills and discounts.",
              "Half of the conversations end without a call to the contact centre.",
              "The chatbot hands over to a person when it is unsure."),
             "AI council tax"),
    Labelled("privacy", "Synthetic data for safe testing",
             ("We generate synthetic records that look like real patients.",
              "Developers test new systems without seeing anyone's details.",
              "The synthetic data keeps the patterns but none of the people."),
             "synthetic data"),
    Labelled("ai", "Ethics of algorithms in children's services",
             ("An ethics panel reviews every algorithm used in children's services.",
              "Families were asked what they thought about automated risk scores.",
              "We decided not to use predictive risk scores for families."),
             "algorithm ethics children"),
    Labelled("housing", "Energy ratings of council homes",
             ("Energy performance certificates cover most of our homes.",
              "Homes rated F and G are first in line for insulation.",
              "Better ratings mean lower bills for tenants."), "home energy efficiency"),
    Labelled("mapping", "Tree canopy from satellite images",
             ("We measured tree canopy cover from satellite images.",
              "Some wards have three times the canopy of others.",
              "New planting follows the gaps in the canopy map."), "tree cover"),
    Labelled("statistics", "What the census tells us about our neighbourhoods",
             ("The census gives population counts for very small areas.",
              "Census results showed more older people living alone.",
              "We compared the census with our own service records."),
             "census results"),
    Labelled("climate", "Where to put electric vehicle chargers",
             ("We mapped demand for electric vehicle charging points.",
              "Streets without driveways got the first on street chargers.",
              "Charging data shows when the points are busiest."), "EV chargers"),
    Labelled("open data", "Opening up council spending",
             ("Every payment over five hundred pounds is published each month.",
              "Journalists use the spending data to ask good questions.",
              "Supplier names are cleaned so totals add up."), "council spending"),
    Labelled("statistics", "Measuring loneliness",
             ("Our survey asked residents how often they feel lonely.",
              "Loneliness was highest among young renters, not older people.",
              "Social prescribers use the survey to target support."),
             "social isolation survey"),
    Labelled("housing", "Modelling fuel poverty",
             ("We estimate which households are in fuel poverty.",
              "The model combines incomes, energy prices and home ratings.",
              "Warm home grants now go to the streets the model ranks highest."),
             "fuel poverty"),
    Labelled("data sharing", "A data partnership on serious violence",
             ("Police, hospitals and schools share data on serious violence.",
              "Knife injuries seen in hospital are mapped each week.",
              "Youth workers go where the data shows rising incidents."),
             "knife crime data"),
    Labelled("transport", "Counting cyclists",
             ("Automatic counters record every cyclist on the new lanes.",
              "Cycling on the main corridor rose by forty percent.",
              "Counter data is open for anyone to analyse."), "bike counts"),
    Labelled("mapping", "Mapping digital exclusion",
             ("We mapped who lacks broadband, devices or digital skills.",
              "Digital exclusion is highest in two coastal wards.",
              "Free tablets and training went to those areas first."),
             "people without internet access"),
    Labelled("health data", "Getting a GP appointment",
             ("We publish how long patients wait for a GP appointment.",
              "Practices see their own waits beside their neighbours.",
              "Same day appointments rose after the figures were shared."),
             "waiting times for doctors"),
    Labelled("privacy", "Pseudonymising social care records",
             ("Social care records are pseudonymised before analysis.",
              "Names are replaced by keys that only one team can reverse.",
              "Analysts never see who a record belongs to."),
             "anonymising care records"),
]  # fmt: skip

# The relevance set on the sample edition: (query, the slot that should come first).
SAMPLE_LABELLED = [
    ("open data", 1), ("open datasets", 1), ("publishing council data", 1),
    ("dashboards", 2), ("charts for clinical teams", 2), ("waiting lists", 2),
    ("AI", 3), ("machine learning", 3), ("chatbots", 3),
]  # fmt: skip


def labelled_slot(n: int) -> int:
    """Which of the 1,000 talks the n-th labelled subject is (spread over the years)."""
    return 17 + n * 41


def build(root: Path) -> Archive:
    """Write the synthetic archive's recordings/ under root (no index yet)."""
    rng = random.Random(SEED)
    archive = Archive(root)
    subjects = {labelled_slot(n): subject for n, subject in enumerate(LABELLED)}
    for number in range(1, EDITIONS + 1):
        talks = []
        for slot in range(1, TALKS_PER_EDITION + 1):
            index = (number - 1) * TALKS_PER_EDITION + slot - 1
            talks.append(_talk_text(rng, subjects.get(index)))
        _write_edition(archive, number, talks, rng)
    return archive


def _fill(rng: random.Random, sentence: str) -> str:
    return sentence.format(place=rng.choice(PLACES), n=rng.choice([3, 5, 12, 40, 200, 1500]))


def _talk_text(
    rng: random.Random, subject: Labelled | None
) -> tuple[str, str, list[str], list[str]]:
    """(topic title, speaker, talk sentences, question-and-answer sentences)."""
    topic = subject.topic if subject else rng.choice(list(TOPICS))
    titles, pool = TOPICS[topic]
    title = subject.title if subject else _fill(rng, rng.choice(titles))
    special = list(subject.sentences) if subject else []
    sentences = [_fill(rng, FILLER[0]), _fill(rng, FILLER[1])]
    while sum(len(s.split()) for s in sentences) < TALK_WORDS - QA_WORDS:
        roll = rng.random()
        if special and roll < 0.25:
            source = special
        elif roll < 0.7:
            source = pool
        else:
            source = FILLER
        sentences.append(_fill(rng, rng.choice(source)))
    qa: list[str] = []
    while sum(len(s.split()) for s in qa) < QA_WORDS:
        qa.append(rng.choice(QUESTIONS))
        qa.extend(_fill(rng, rng.choice(special or pool)) for _ in range(2))
    speaker = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    return title, speaker, sentences, qa


def _write_edition(
    archive: Archive, number: int, talks: list[tuple[str, str, list[str], list[str]]],
    rng: random.Random,
) -> None:  # fmt: skip
    year, month = 2005 + (number - 1) // 12, (number - 1) % 12 + 1
    edition_id = f"data-bites-{number:03d}"
    host = "Dan Barrett"
    opening = [f"Good evening and welcome to Data Bites number {number}.",
               f"We have {len(talks)} talks tonight."]  # fmt: skip
    clock = _Clock()
    segments: list[Segment] = []
    passages: list[Passage] = []
    blocks: list[Block] = []
    split_talks: list[Talk] = []
    start = clock.t
    passages += _speak(clock, segments, opening, 0, "host", host)
    blocks.append(Block("host", 0, start, clock.t))
    for slot, (title, speaker, said, qa) in enumerate(talks, start=1):
        begin = clock.t
        passages += _speak(clock, segments, said, slot, "talk", speaker)
        qa_start = clock.t
        passages += _speak(clock, segments, qa, slot, "qa", "")
        blocks += [Block("talk", slot, begin, qa_start), Block("qa", slot, qa_start, clock.t)]
        affiliation = f"{rng.choice(PLACES)} {rng.choice(ORGS)}"
        split_talks.append(Talk(slot, title, [speaker], [affiliation], begin, clock.t, qa_start))
    video = f"https://www.youtube.com/watch?v=databites{number:03d}"
    programme = Programme(series="Data Bites", edition=number, title=f"Data Bites #{number}",
                          date=f"{year}-{month:02d}-14", venue="Online", host=host,
                          recording=video)  # fmt: skip
    source = Source(f"{edition_id}.mp3", f"{number:064x}", 0, round(clock.t, 3), "source.mp3")
    edition = Edition(edition_id, programme, source)
    transcript = Transcript("synthetic", "none", {}, "en", clock.t, segments, key=edition_id)
    split = Split("programme-times", split_talks, blocks, passages, key=f"synthetic-{number}")
    folder = archive.edition_dir(edition_id)
    write_json(folder / EDITION_FILE, edition.to_dict())
    write_json(folder / TRANSCRIPT_FILE, transcript.to_dict())
    write_json(folder / SPLIT_FILE, split.to_dict())


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0


def _speak(
    clock: _Clock, segments: list[Segment], sentences: list[str], slot: int, kind: str,
    speaker: str,
) -> list[Passage]:  # fmt: skip
    """Time the sentences word by word; cut passages of about PASSAGE_WORDS at sentence ends."""
    passages: list[Passage] = []
    current: list[Segment] = []
    for sentence in sentences:
        words = []
        for token in sentence.split():
            end = clock.t + 1 / WORDS_PER_SECOND
            words.append(Word(round(clock.t, 2), round(end, 2), " " + token))
            clock.t = end
        segment = Segment(words[0].start, words[-1].end, sentence, words)
        segments.append(segment)
        current.append(segment)
        clock.t += 0.4  # the pause between sentences
        if sum(len(s.words) for s in current) >= PASSAGE_WORDS:
            passages.append(_passage(current, slot, kind, speaker))
            current = []
    if current:
        passages.append(_passage(current, slot, kind, speaker))
    return passages


def _passage(segments: list[Segment], slot: int, kind: str, speaker: str) -> Passage:
    text = " ".join(s.text for s in segments)
    return Passage(slot, kind, segments[0].start, segments[-1].end, text, speaker)  # type: ignore[arg-type]
