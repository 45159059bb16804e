"""A credential our own issuer signed but whose values are not what the pages expect (a quantity in
words, a list where a number should be) is still answered: a verdict, never a 500."""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client

from certificates.signing import sign
from certificates.words import certified_goods, describe_goods
from tests.factories import issue_certificate, make_inspection

pytestmark = pytest.mark.django_db


def product(credential: dict) -> dict:
    return credential["credentialSubject"]["assessedProduct"]


def assessment(credential: dict) -> dict:
    return credential["credentialSubject"]["assessment"]


ODD_VALUES = {
    "a quantity in words": lambda c: product(c)["quantity"].update(value="12 tonnes"),
    "a quantity too large for a float": lambda c: product(c)["quantity"].update(value=10**400),
    "a quantity that is true": lambda c: product(c)["quantity"].update(value=True),
    "an infinite-looking quantity": lambda c: product(c)["quantity"].update(value=1e308),
    "declared values that are a number": lambda c: assessment(c).update(declaredValues=7),
    "a reading whose measure is a list": lambda c: assessment(c)["declaredValues"][0].update(measure=[1, 2]),
    "an inspection date that is not one": lambda c: assessment(c).update(assessmentDate="last Tuesday"),
}


@pytest.fixture
def credential(batch) -> dict:
    return issue_certificate(make_inspection(batch)).credential


def resigned(credential: dict, change) -> dict:
    document = copy.deepcopy(credential)
    document.pop("proof")
    change(document)
    return sign(document, credential["proof"]["created"])


@pytest.mark.parametrize("change", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_the_verify_page_answers_a_signed_credential_with_odd_values(credential, change):
    odd = resigned(credential, change)

    response = Client().post("/verify/", {"text": json.dumps(odd)})

    assert response.status_code == 200
    assert "This certificate is" in response.content.decode()


def test_a_quantity_in_words_is_shown_as_written():
    goods = describe_goods({"quantity": "12 tonnes", "unit": "kg"})

    assert ("Quantity", "12 tonnes kg") in goods


@pytest.mark.parametrize("change", ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_the_words_for_the_goods_never_raise(credential, change):
    odd = copy.deepcopy(credential)
    change(odd)

    assert describe_goods(certified_goods(odd))
