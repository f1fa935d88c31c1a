"""PERSON: titles in several languages with the surname alone, surnames as the subject,
later mentions, lower case, accented names (English); surname + 先生/女士 and introduction
cues (Chinese). Full engine: these rules read spaCy's and LAC's output."""

import pytest

from tests.pii.conftest import spans


@pytest.mark.parametrize(
    "text,name",
    [
        ("Mr. Thompson called me yesterday", "Thompson"),
        ("Please forward this to Herr Müller-Lüdenscheidt.", "Müller-Lüdenscheidt"),
        ("Frau Weißmann said the parcel was lost", "Weißmann"),
        ("Sra. Ñúñez never got the refund", "Ñúñez"),
        ("I spoke with Sr. Đặng on the phone", "Đặng"),
        ("Dear Mme Lefèvre, thank you", "Lefèvre"),
        ("Your colleague M. Dubois promised a callback", "Dubois"),
        ("The delivery is for Sig.ra Colombo at reception", "Colombo"),
        ("Prof. Błaszczyk handled the case", "Błaszczyk"),
    ],
)
def test_titles_give_the_surname_and_never_the_title(pii_engine, text, name):
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert name in found
    assert not any(t in found for t in ("Mr", "Herr", "Frau", "Sra", "Sr", "Mme", "M", "Sig", "Sig.ra", "Prof"))


def test_surname_as_subject_and_later_mentions(pii_engine):
    text = "I talked to Wojciech Kowalczyk last week. Kowalczyk said the refund was approved."
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert found.count("Kowalczyk") == 1 and "Wojciech Kowalczyk" in found
    text = "Schröder promised a callback on Monday."
    assert spans(text, pii_engine.analyze(text), "PERSON") == ["Schröder"]


def test_company_as_subject_is_not_a_person(pii_engine):
    text = "Amazon said the order shipped and Netflix told me to wait."
    assert "Amazon" not in spans(text, pii_engine.analyze(text), "PERSON")


@pytest.mark.parametrize(
    "text,name",
    [
        ("hi my name is lorenzo bianchi and i cant log in", "lorenzo bianchi"),
        ("Hello, my name is josé müller. I ordered a lamp.", "josé müller"),
        ("The card holder is Zoë Lefèvre.", "Zoë Lefèvre"),
        ("Please cc José Müller-Lüdenscheidt on the reply.", "José Müller-Lüdenscheidt"),
    ],
)
def test_lower_case_and_accented_names(pii_engine, text, name):
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert any(name in f or f in name for f in found), found


@pytest.mark.parametrize(
    "text",
    [
        "My name is spelled wrong on the invoice.",
        "The Premium Plan renewal failed on Monday.",
        "Can you help me, sir? Thanks!",
    ],
)
def test_no_name_no_person(pii_engine, text):
    assert spans(text, pii_engine.analyze(text), "PERSON") == []


@pytest.mark.parametrize(
    "text,name",
    [
        ("上次接待我的王先生说三天内会回电话。", "王"),
        ("欧阳女士您好，附件是发票的照片。", "欧阳"),
        ("您好，我叫阎俊杰，上周买的电视一直没有发货。", "阎俊杰"),
        ("联系人：邓晓燕，电话稍后发给您。", "邓晓燕"),
        ("请转告汤强，合同已经寄出了。", "汤强"),
    ],
)
def test_chinese_titles_and_cues(pii_engine, text, name):
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert any(name in f for f in found), found


@pytest.mark.parametrize(
    "text",
    ["历史老师布置的作业提交不了。", "我是第一次在你们这里买东西。", "请问周末客服上班吗？", "各位女士先生，活动开始了。"],
)
def test_chinese_look_alikes(pii_engine, text):
    assert spans(text, pii_engine.analyze(text), "PERSON") == []


@pytest.mark.parametrize(
    "text,name",
    [("Ms. van der Berg called back", "van der Berg"), ("Prof. de Vries said hi", "de Vries"),
     ("Dear Mrs. Thompson, thanks for the help", "Thompson")],
)
def test_title_with_particles_and_after_dear(pii_engine, text, name):
    assert spans(text, pii_engine.analyze(text), "PERSON") == [name]


def test_months_and_places_named_like_people(pii_engine):
    text = "We relocated from Roma to Utrecht in March."
    findings = pii_engine.analyze(text)
    assert spans(text, findings, "PERSON") == []
    assert spans(text, findings, "LOCATION") == ["Roma", "Utrecht"]
    text = "Your store in Pisa told me to contact support."
    assert spans(text, pii_engine.analyze(text), "LOCATION") == ["Pisa"]


@pytest.mark.parametrize(
    "text,name",
    [
        ("Please cc Giulia Bianchi on the reply, she handles our account.", "Giulia Bianchi"),
        ("hello, this is ángela muñoz, my package is late", "ángela muñoz"),
    ],
)
def test_names_inside_model_misreadings(pii_engine, text, name):
    assert name in spans(text, pii_engine.analyze(text), "PERSON")


def test_second_mention_read_as_org_is_a_person(pii_engine):
    text = "I talked to Jérôme Chevalier last week. Chevalier said the refund was approved."
    found = spans(text, pii_engine.analyze(text), "PERSON")
    assert found == ["Jérôme Chevalier", "Chevalier"]
    assert spans(text, pii_engine.analyze(text), "ORGANIZATION") == []
