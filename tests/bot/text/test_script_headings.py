"""Section headings in scripts the English heading rules cannot read."""

from __future__ import annotations

from bot.text.headings import derive_heading, heading_problems, is_good_heading
from bot.text.script_headings import needs_script_heading

AIIB = [
    "英国各大报突出报道,英国申请加入由中国牵头的亚洲基础设施投资银行引发美国不满。",
    "澳大利亚总理表示将尽快决定是否加入亚投行。",
    "美国对英国加入亚投行表示关切。",
]
PUTIN = [
    "Владимир Путин заявил в понедельник о начале операции.",
    "По словам Владимира Путина, войска вернутся к осени.",
    "Владимир Путин также встретился с министрами.",
]
MOSUL = [
    "أعلنت الحكومة العراقية عن بدء عملية عسكرية جديدة في الموصل.",
    "وقال المتحدث إن القوات تتقدم في الموصل بسرعة.",
]


def test_chinese_sections_are_named_by_what_their_sentences_share() -> None:
    heading = derive_heading(AIIB, {}, avoid=set())
    assert "亚投行" in heading
    assert is_good_heading(heading, AIIB)


def test_russian_sections_prefer_a_name() -> None:
    heading = derive_heading(PUTIN, {}, avoid=set())
    assert "Путин" in heading
    assert heading_problems(heading, PUTIN) == []


def test_arabic_sections_are_named_by_a_shared_word() -> None:
    assert derive_heading(MOSUL, {}, avoid=set()) == "الموصل"


def test_nothing_shared_means_no_heading_rather_than_filler() -> None:
    unrelated = ["今天天气很好。", "股市周一上涨。"]
    assert derive_heading(unrelated, {}, avoid=set()) == ""


def test_headings_other_sections_use_are_avoided() -> None:
    assert derive_heading(MOSUL, {}, avoid={"الموصل"}) != "الموصل"


def test_model_headings_in_other_scripts_are_held_to_rules() -> None:
    assert heading_problems("亚投行", AIIB) == []
    assert "not in the sources" in heading_problems("北京奥运会", AIIB)
    assert "repeated word" in heading_problems("Путин Путин")
    assert "too long" in heading_problems("英国申请加入由中国牵头的亚洲基础设施投资银行")


def test_latin_text_keeps_the_english_rules() -> None:
    assert not needs_script_heading(["The River Tessel burst its banks in Marrowby."])
    assert needs_script_heading(AIIB)


def test_a_chinese_heading_is_not_a_cut_opened_or_closed_by_a_particle() -> None:
    # Every sentence shares "闭幕后" and "在医院", fragments round a particle or a position
    # word; the name they share is 李克强.
    texts = [
        "全国人大会议闭幕后,李克强在医院附近会见记者。",
        "会议闭幕后,李克强表示经济基本面向好,他随后在医院慰问病人。",
        "李克强在闭幕后的记者会上在医院问题上作答。",
    ]
    heading = derive_heading(texts, {}, avoid=set())
    assert heading == "李克强"


def test_a_chinese_heading_is_not_a_cause_or_a_count() -> None:
    # "因膀胱癌" (because of bladder cancer) and "枪击两名警察" (shot two police officers)
    # describe; the name the sentences share heads the section.
    cancer = [
        "徐才厚因膀胱癌医治无效去世,终年71岁。",
        "新华社说,徐才厚因膀胱癌晚期病情恶化。",
    ]
    assert derive_heading(cancer, {}, avoid=set()) == "徐才厚"
    ferguson = [
        "美国福格森市警方逮捕了涉嫌枪击两名警察的男子杰弗里·威廉斯。",
        "检方指控威廉斯枪击两名警察,弗格森市局势紧张。",
    ]
    heading = derive_heading(ferguson, {}, avoid=set())
    assert "两名" not in heading
    # Nor a cut through the count ("名警察", "枪击两").
    assert not heading.startswith(("因", "名"))
    assert not heading.endswith("两")


def test_an_outlet_the_reports_credit_heads_no_chinese_section() -> None:
    # A repost's title credits the PLA's news site ("中国军网 | ..."), and the section's
    # sentences name it as their source: the section is about Xu Caihou, not the site.
    texts = [
        "中国军网文章指徐才厚死后军中反腐不会停。",
        "中国军网说,对徐才厚的查处是军队反腐的延续。",
    ]
    assert derive_heading(texts, {}, avoid=set()) == "中国军网"
    assert derive_heading(texts, {}, avoid=set(), sources=["中国军网"]) == "徐才厚"
