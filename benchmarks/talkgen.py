"""Plausible Data Bites talk text: public-sector data talks from templates and vocabulary.

Every sentence is a template filled from its topic's vocabulary with a seeded RNG, so an edition
reads like a real one (a host who opens and names each speaker and their organisation, talks of
a set length, audience questions that end in '?', answers, thanks) and is the same on every run.
Numbers are written as words so that speech recognition reads them back right.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

WORDS_PER_SECOND = 3.0  # how fast the voices speak, gaps included (for planning lengths)


@dataclass(frozen=True)
class Topic:
    title: str
    things: tuple[str, ...]  # what the talk is about (singular noun phrases)
    tools: tuple[str, ...]
    people: tuple[str, ...]  # who uses it (plural)
    problems: tuple[str, ...]  # "the hardest part was ..."
    benefits: tuple[str, ...]  # "that meant ..."


TOPICS = [
    Topic(
        "Open data in local government",
        ("open dataset", "data portal", "bus timetable dataset", "planning data", "spending data"),
        ("CKAN", "a simple spreadsheet", "our open data portal", "a public API"),
        ("residents", "local businesses", "journalists", "developers"),
        ("convincing services that publishing was safe", "keeping every dataset up to date"),
        ("residents could find the data themselves", "freedom of information requests fell"),
    ),
    Topic(
        "Dashboards people actually use",
        ("dashboard", "performance report", "waiting list chart", "single page summary"),
        ("Power BI", "Tableau", "a shared spreadsheet", "a simple web page"),
        ("clinicians", "managers", "ward teams", "councillors"),
        ("too many charts on one page", "nobody knowing when the data was refreshed"),
        ("teams opened the dashboard every morning", "meetings started with the same numbers"),
    ),
    Topic(
        "Artificial intelligence for public services",
        ("language model", "chatbot", "machine learning model", "document summary tool"),
        ("a large language model", "a small classifier", "an AI assistant", "Python notebooks"),
        ("case workers", "call handlers", "social workers", "residents"),
        ("answers that sound confident but are wrong", "bias in the training data"),
        ("staff saved an hour a day on letters", "residents got an answer at midnight"),
    ),
    Topic(
        "Sharing data between organisations",
        ("data sharing agreement", "shared record", "data platform", "linked dataset"),
        ("a trusted research environment", "a secure data platform", "a shared warehouse"),
        ("partners", "police and health teams", "housing officers", "researchers"),
        ("agreeing who owns the data", "six months of legal review"),
        ("families told their story only once", "partners saw the same picture"),
    ),
    Topic(
        "Privacy by design",
        ("privacy notice", "data protection impact assessment", "anonymised dataset"),
        ("synthetic data", "a privacy checklist", "role based access"),
        ("data protection officers", "patients", "service users", "analysts"),
        ("explaining the risk in plain English", "old data that nobody had deleted"),
        ("people trusted us with their data", "the assessment took days not months"),
    ),
    Topic(
        "Data skills for everyone",
        ("data training course", "analyst community", "skills framework", "data champion role"),
        ("lunchtime sessions", "an online course", "a mentoring scheme", "a data academy"),
        ("managers", "new analysts", "frontline staff", "apprentices"),
        ("finding time for training", "people being scared of numbers"),
        ("three hundred staff finished the course", "teams answered their own questions"),
    ),
    Topic(
        "Better data for housing",
        ("housing register", "repairs dataset", "damp and mould report", "property record"),
        ("a repairs app", "sensor data", "a geographic information system"),
        ("tenants", "housing officers", "repair teams", "landlords"),
        ("addresses written ten different ways", "records that nobody owned"),
        ("repairs were fixed the first time", "tenants stopped calling twice"),
    ),
    Topic(
        "Measuring what matters in transport",
        ("traffic count", "bus punctuality measure", "cycling dataset", "air quality sensor"),
        ("live sensor feeds", "open source mapping", "a simple model"),
        ("commuters", "transport planners", "bus operators", "cyclists"),
        ("sensors that stopped working in the rain", "data arriving three months late"),
        ("planners moved bus stops to where people are", "we saw the effect within weeks"),
    ),
]

TALK_OPENERS = (
    "Hi everyone, and thanks for having me.",
    "Good evening, it is great to be here.",
    "Thank you, and hello everyone.",
    "Hello, and thanks for the kind introduction.",
)
TALK_CLOSERS = (
    "That is all from me, thank you for listening.",
    "Thank you very much for listening.",
    "So that is our story so far. Thank you.",
)
TALK_TEMPLATES = (
    "When we started, our {thing} sat in spreadsheets that only two people understood.",
    "The first thing we did was talk to the {people} who would actually use the {thing}.",
    "We now publish {number} updates to the {thing} every month, and each one has an owner.",
    "The hardest part was not the technology. It was {problem}.",
    "We used {tool}, because it was already there and people knew how to use it.",
    "That meant {benefit}, which is what the {people} had asked for all along.",
    "My advice is to start small, with one {thing}, and do it well.",
    "We wrote a plain English description for every {thing}, and that made a big difference.",
    "A year ago, nobody outside the building could find the {thing}.",
    "We tested the {thing} with {number} {people} before we showed it to anyone else.",
    "Some of the {people} told us the {thing} was too complicated, so we cut it in half.",
    "We learned that {problem} matters more than any tool.",
    "Our team is only {small} people, so we had to choose carefully what to build first.",
    "Every {thing} now comes with a short note on how it was collected and what its limits are.",
    "We measured success by how often the {people} came back, not by how many charts we made.",
    "The next step is to connect the {thing} to {tool}.",
    "If I did it again, I would involve the {people} from the very first week.",
    "We also found that {benefit}, which we did not expect at all.",
    "There is a lot of talk about {tool}, but the basics still matter most.",
    "We keep a simple log of every change to the {thing}, so anyone can see what happened.",
    "Our managers wanted more features, but the {people} wanted fewer.",
    "We spent the first {small} months just cleaning the data behind the {thing}.",
    "One surprise was that {problem} took longer than building the {thing} itself.",
    "We review the {thing} every quarter with the {people}, and we drop what nobody uses.",
)
QUESTIONS = (
    "How do you keep the {thing} up to date?",
    "Thanks for the talk. How did you convince the {people} to trust the {thing}?",
    "What would you do differently if you started again?",
    "How much did it cost to build the {thing}?",
    "Did you ever think about using {tool} instead?",
    "How do you deal with {problem}?",
    "Who owns the {thing} once your team moves on?",
    "Thank you. How many {people} use the {thing} every week?",
    "Is there anything you decided not to publish, and why?",
)
ANSWER_OPENERS = (
    "That is a great question.",
    "Good question.",
    "Thanks, that is something we get asked a lot.",
    "Yes, so",
)
NUMBERS = ("two hundred", "fifty", "twelve", "thirty", "forty", "one hundred", "sixty")
SMALL = ("three", "four", "five", "six", "two")


def fill(template: str, topic: Topic, rng: random.Random) -> str:
    """One sentence from a template and the topic's vocabulary."""
    return template.format(
        thing=rng.choice(topic.things),
        tool=rng.choice(topic.tools),
        people=rng.choice(topic.people),
        problem=rng.choice(topic.problems),
        benefit=rng.choice(topic.benefits),
        number=rng.choice(NUMBERS),
        small=rng.choice(SMALL),
    )


def talk_sentences(
    topic: Topic, seconds: float, rng: random.Random, rate: float = WORDS_PER_SECOND
) -> list[str]:
    """A talk of about `seconds`: an opener, templated sentences (never one twice in a row),
    a closer."""
    out = [rng.choice(TALK_OPENERS)]
    words = len(out[0].split())
    while words / rate < seconds:
        sentence = fill(rng.choice(TALK_TEMPLATES), topic, rng)
        if sentence != out[-1]:
            out.append(sentence)
            words += len(sentence.split())
    out.append(rng.choice(TALK_CLOSERS))
    return out


def question(topic: Topic, rng: random.Random) -> str:
    return fill(rng.choice(QUESTIONS), topic, rng)


def answer(topic: Topic, rng: random.Random) -> list[str]:
    """An answer: an opener then one to three sentences of the talk's kind."""
    body = [fill(rng.choice(TALK_TEMPLATES), topic, rng) for _ in range(rng.randint(1, 3))]
    return [f"{rng.choice(ANSWER_OPENERS)} {body[0]}", *body[1:]]


def opening(host: str, number: int, titles: list[str], rng: random.Random) -> list[str]:
    """About a minute of the host's welcome."""
    count = ("", "one talk", "two talks", "three talks", "four talks")[len(titles)]
    return [
        f"Good evening and welcome to Data Bites number {number_words(number)}.",
        f"I'm {host}, and I will be your host tonight.",
        "Data Bites is a monthly evening of short talks about data in the public sector.",
        "Each speaker has a few minutes, and then there is time for your questions.",
        "If you are watching online, please use the chat, and we will read your questions out.",
        "First, our chart of the month. "
        + rng.choice(
            (
                "Library visits across the region went up by twelve percent this year.",
                "Bus journeys in the city are back to where they were five years ago.",
                "The number of open datasets published by councils doubled in two years.",
            )
        ),
        "That is a reminder that good data tells a story, if someone takes the time to read it.",
        f"We have {count} tonight, about "
        + ", ".join(t.lower() for t in titles[:-1])
        + f" and {titles[-1].lower()}.",
        "So let's get started.",
    ]


def intro(names: list[str], org: str, title: str, first: bool, last: bool) -> str:
    who = " and ".join(names)
    lead = "First" if first else ("Finally" if last else "Next")
    return f"{lead}, please welcome {who} from {org}, who will talk about {title.lower()}."


def qa_invite(names: list[str], rng: random.Random) -> str:
    who = " and ".join(n.split()[0] for n in names)
    return rng.choice(
        (
            f"Thank you. Any questions for {who}?",
            f"Thanks {who}. We have time for a few questions.",
            f"Lovely, thank you. Who has a question for {who}?",
        )
    )


def thanks(names: list[str]) -> str:
    return f"Thank you {' and '.join(n.split()[0] for n in names)}."


CLOSING = "That's all for tonight. Thank you all for coming, and see you next month."

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
_ONES += "fifteen sixteen seventeen eighteen nineteen"
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """0-99 as words."""
    ones = _ONES.split()
    if n < 20:
        return ones[n]
    return _TENS[n // 10] + ("" if n % 10 == 0 else " " + ones[n % 10])
