"""Word lists that stand in for a part-of-speech tagger when choosing headings.

Small and hand-written (no model downloads): they only need to cover the words that make
bad headings common in news text.
"""

from __future__ import annotations

import functools

from bot.text.calendar_names import calendar_names
from bot.text.sentences import wordlist
from bot.text.terms import normalise

FUNCTION_WORDS = frozenset(
    wordlist(
        "a an the and or but nor so yet if of to in on at by for from with within without "
        "into onto over under above below about around across after before behind beyond "
        "between beside besides during despite except inside outside near off out through "
        "throughout toward "
        "towards until upon via against along amid among per than as like unlike since "
        "i me my we us our you your he him his she her it its they them their this that these "
        "those who whom whose which what whether is are was were be been being am do does did "
        "have has had will would shall should can could may might must not no all any both "
        "each every either neither some such other another few more most many much several "
        "own same there here then one two three four five six seven eight nine ten dozen "
        "hundred hundreds thousand thousands million millions billion billions"
    )
)
ADVERBS = frozenset(
    wordlist(
        "enough very too also just only even still already almost nearly quite rather "
        "again ever never always often sometimes usually soon now later earlier ago away back "
        "down up together instead perhaps maybe probably certainly indeed meanwhile however "
        "moreover furthermore therefore thus hence otherwise once twice far further less least "
        "well else anyway somewhat mostly largely partly fully abroad overseas ahead apart "
        "alone forward home"
    )
)
ADJECTIVES = frozenset(
    wordlist(
        "lower higher low high usual annual federal little big small large great good bad "
        "best worst better worse new old young long short full free clear hard easy early late "
        "likely unlikely possible able due open close major minor key main top recent current "
        "former final next last first second third whole entire real true certain sure "
        "available total further additional other several own local national international "
        "global public private political economic social foreign domestic federal regional "
        "stable humble rosy radical moderate ruthless bipartisan partisan awful deep wide "
        "strong weak poor rich cheap expensive safe dangerous serious severe heavy light "
        "quick slow fast huge tiny vast broad narrow fresh similar different various "
        "important significant successful unable ready aware responsible willing unclear "
        "latest biggest largest highest lowest worst best most least daily weekly monthly "
        "yearly nearby overall northern southern eastern western central online"
    )
)
VERBS = frozenset(
    wordlist(
        "face faces cut cuts pay pays supply supplies produce produces say says tell tells "
        "make makes take takes give gives get gets go goes come comes see sees know knows "
        "think thinks want wants need needs use uses find finds keep keeps let lets put puts "
        "seem seems leave leaves call calls try tries ask asks feel feels become becomes show "
        "shows hear hears play plays run runs move moves live lives believe believes hold "
        "holds bring brings happen happens write writes provide provides sit sits stand stands "
        "lose loses meet meets include includes continue continues set sets learn learns "
        "change changes lead leads understand understands watch watches follow follows stop "
        "stops create creates speak speaks read reads allow allows add adds spend spends grow "
        "grows open opens walk walks win wins offer offers remember remembers love loves "
        "consider considers appear appears buy buys wait waits serve serves die dies send "
        "sends expect expects build builds stay stays fall falls reach reaches kill kills "
        "remain remains suggest suggests raise raises pass passes sell sells require requires "
        "report reports decide decides pull pulls argue argues hope hopes plan plans claim "
        "claims warn warns urge urges vow vows seek seeks hit hits rise rises launch launches "
        "confront hastens hasten rival rivals act acts talk talks matter matters label labels "
        "address addresses promote promotes avert averts deepen deepens unveil unveils hike "
        "hikes slash slashes resurrect drive drives consume consumes pause breathe eat carry "
        "carries heard said made took gave went came saw knew thought found kept left felt "
        "became brought held wrote stood lost met led spent grew won bought sent built fell "
        "sold paid told began ran rose struck fought caught sought drew drove flew threw spoke "
        "broke chose shot fled hid closes adjusts aged"
    )
)
# Common nouns that make a heading on their own, when the sentences are about that.
TOPICAL_NOUNS = frozenset(
    wordlist(
        "casualties reaction background investigation damage safety funding cost costs "
        "timeline evidence sanctions turnout aid protests arrests evacuation forecast outlook "
        "response criticism verdict budget ceasefire negotiations jobs prices inflation "
        "elections weather recovery victims witnesses reforms security compensation"
    )
)
# Titles before a name: an editor's heading names the person, not the office.
TITLES = frozenset(
    wordlist(
        "president director justice judge sen senator rep gov governor dr mr mrs ms prof "
        "professor minister secretary chairman chairwoman chair ceo coo cfo cto chief spokesman "
        "spokeswoman spokesperson democratic republican lt gen col sgt capt officer"
    )
)
BAD_STARTS = frozenset(wordlist("little much less least extra enough"))
# Adjectives that judge size, degree or worth rather than say what kind of thing it is:
# "Large ransom", "Great length", "Necessary part" name nothing ("Monetary policy",
# "Heavy rain" and "Foreign aid" do).
JUDGING = frozenset(
    wordlist(
        "large larger largest big bigger biggest small smaller smallest great greater "
        "greatest huge tiny vast good better best bad worse worst long longer longest cold "
        "colder coldest hot hotter warm necessary unnecessary apologetic important certain "
        "real true sure whole entire full nice fine strange odd perfect ideal incomplete"
    )
)
# Nouns that may head a phrase even though a list above, or a suffix, says otherwise.
HEAD_NOUNS = frozenset(
    wordlist(
        "cuts cut pay supply supplies strike strikes vote votes count ruling rescue reaction "
        "casualties safety background investigation damage cost costs funding spending "
        "housing meeting hearing warning warnings bombing shooting building training talks "
        "plans claims reports report launch results turnout recall arrests evacuation "
        "forecast outlook response criticism trial verdict appeal deal proposal approval "
        "budget final fighting flooding timeline impact jobs prices election campaign "
        "protest protests sanctions negotiations ceasefire aid victims evidence charges "
        "policy outage outages power timing"
    )
    + tuple(TOPICAL_NOUNS)
)
TIME_WORDS = frozenset(
    wordlist(
        "monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow "
        "tonight morning afternoon evening night week weeks month months year years day days "
        "hour hours minute minutes second seconds decade decades century weekend "
        "january february march april may june july august september october november "
        "december jan feb mar apr jun jul aug sep sept oct nov dec ago recently gmt utc bst "
        "est edt pst pdt cet am pm"
    )
)
NAME_JOINERS = frozenset(wordlist("of the and for de al von van du la le da di del"))

# Trigger words (normalised, or two-word phrases) of topical headings.
TOPICS: dict[frozenset[str], str] = {
    frozenset(w.replace("_", " ") for w in wordlist(t)): h
    for t, h in (
        # "dead" and "died" count only for victims in the plural (see ``headings``): one
        # person's death ("John Warner dead at 94") has no casualties.
        ("killed deaths injured wounded casualties fatalities toll", "Casualties"),
        ("rescue rescued rescuers evacuated evacuation stranded", "Rescue effort"),
        ("outage outages blackout blackouts without_power", "Power cuts"),
        # A ruling is what was decided: a court or a judge only named is no ruling ("his
        # attacks on the 'Mexican' judge", "Obama's high court pick").
        ("ruled ruling rulings verdict verdicts sentenced acquitted convicted", "Court ruling"),
        ("ballots turnout votes counted", "The vote count"),
        ("shares stocks investors markets traders", "Market reaction"),
        ("welcomed condemned criticised criticized praised reacted", "Reaction"),
        ("investigation investigators inquiry probe", "Investigation"),
        ("claimed_responsibility", "Who claimed it"),
        ("arrested arrest arrests detained charged", "Arrests"),
        ("forecast forecasters forecasts", "The forecast"),
        ("damage damaged destroyed", "Damage"),
        ("recall recalled refund", "The recall"),
    )
}
FALLBACKS = ("More details", "Other reporting", "Further reporting", "Also reported")

_VERB_SUFFIXES = ("ed", "ing")
_ADJECTIVE_SUFFIXES = ("ous", "ful", "less", "able", "ible", "ical", "ive", "ual", "ish")
_NOT_VERB_FORMS = frozenset(
    wordlist(
        "red bed shed speed need seed creed feed greed hundred thing spring string king "
        "wedding ceiling sibling"
    )
)
_NOT_ADJECTIVE_FORMS = frozenset(
    wordlist(
        "executive detective initiative representative objective relative incentive motive "
        "offensive archive explosive individual manual ritual capable table vegetable cable "
        "variable constable bible lawless dish fish wish relish"
    )
)


def is_verb_form(low: str) -> bool:
    """A past tense, participle or gerund, which ends no heading ("Failed", "Caused")."""
    return low.endswith(_VERB_SUFFIXES) and low not in _NOT_VERB_FORMS and len(low) > 4


def is_adjective_form(low: str) -> bool:
    return (
        low in ADJECTIVES
        or (low.endswith(_ADJECTIVE_SUFFIXES) and low not in _NOT_ADJECTIVE_FORMS)
        or low.endswith("ly")
    )


@functools.cache
def time_words(language: str | None) -> frozenset[str]:
    """``TIME_WORDS`` and, in another language, its weekdays and months (CLDR's wide
    names): "Montag" and "janvier" date a sentence in German and French and name
    nothing. Per language, since one language's month is another's name ("Mars")."""
    if not language or language in {"en", "und"}:
        return TIME_WORDS
    names = {normalise(name) for _, _, width, name in calendar_names(language) if width == "wide"}
    return TIME_WORDS | frozenset(n for n in names if n)
