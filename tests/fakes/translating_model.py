"""A deterministic model for the fake OpenAI server that writes a story and translates it.

Summary requests get one fixed, well-cited story of ``FLOOD`` (``tests.factories``);
translation requests (``bot.summaries.translation``) get canned German or French for the
sentences it knows and a marked copy of any other text, so a test can tell a translated
sentence from its original. ``changes`` turns a known sentence's translation into
another text (a changed number, say). Every request is counted by kind.

Use: ``fake.default = TranslatingModel().reply``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from tests.fakes.fake_openai import Body, Reply

LEDE = "The River Tessel burst its banks in Marrowby on Saturday after 140 millimetres of rain."
EVACUATED = "About 300 people left their homes in Marrowby as the River Tessel flooded Eastbank."
SHELTER = "Inspector Carla Venn said two rest centres had opened at the Marrowby leisure centre."
AID = (
    "The government released 4 million in emergency aid for Marrowby after the River Tessel flood."
)
DEATHS = "Two people died in the flooding, police confirmed."
HEADLINE = "River Tessel bursts its banks in Marrowby"

STORY = {
    "headline": HEADLINE,
    "lede": [{"text": LEDE, "cites": [1]}],
    "sections": [
        {
            "heading": "Eastbank evacuation",
            "sentences": [{"text": EVACUATED, "cites": [2]}, {"text": SHELTER, "cites": [2]}],
        },
        {
            "heading": "Government aid",
            "sentences": [{"text": AID, "cites": [3]}, {"text": DEATHS, "cites": [3]}],
        },
    ],
}

CANNED = {
    "de": {
        HEADLINE: "Der Fluss Tessel tritt in Marrowby über die Ufer",
        LEDE: "Der Fluss Tessel trat am Samstag nach 140 Millimetern Regen in Marrowby über "
        "die Ufer.",
        EVACUATED: "Etwa 300 Menschen verließen ihre Häuser in Marrowby, als der Tessel "
        "Eastbank überflutete.",
        SHELTER: "Inspektorin Carla Venn sagte, im Freizeitzentrum von Marrowby seien zwei "
        "Notunterkünfte geöffnet worden.",
        AID: "Die Regierung gab nach der Flut 4 Millionen an Nothilfe für Marrowby frei.",
        DEATHS: "Zwei Menschen starben bei der Flut, bestätigte die Polizei.",
    },
    "fr": {
        HEADLINE: "La rivière Tessel sort de son lit à Marrowby",
        LEDE: "La rivière Tessel est sortie de son lit à Marrowby samedi après 140 "
        "millimètres de pluie.",
        DEATHS: "Deux personnes sont mortes dans les inondations, a confirmé la police.",
    },
}


@dataclass
class TranslatingModel:
    changes: dict[str, str] = field(default_factory=dict)  # original → what to write instead
    calls: Counter[str] = field(default_factory=Counter)  # "summary" / "translate:<lang>"

    def reply(self, body: Body) -> Reply:
        messages = body.get("messages", [])
        system = str(messages[0].get("content", "")) if messages else ""
        if not system.startswith("You translate"):
            self.calls["summary"] += 1
            return Reply(json.dumps(STORY))
        found = re.search(r"\(([a-z]{2}[\w-]*)\)", system)
        language = found.group(1) if found else "?"
        self.calls[f"translate:{language}"] += 1
        data = str(messages[1]["content"])
        items = json.loads(data.split("\n", 1)[1].rsplit("\n", 1)[0])["items"]
        canned = CANNED.get(language, {})
        out = []
        for item in items:
            text = item["text"]
            translated = self.changes.get(text) or canned.get(text) or f"({language}) {text}"
            out.append({"n": item["n"], "text": translated})
        return Reply(json.dumps({"items": out}, ensure_ascii=False))
