"""The one mapping from provider errors to application errors: the codes, sentences and statuses people see."""

import pytest

from integrations.providers import registry
from integrations.providers.base import (
    AuthError,
    CredentialsRefused,
    OwnLimitReached,
    ProviderRateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.errors import application_error


@pytest.fixture
def bill_com():
    return registry.get("bill_com")


def test_refused_credentials_are_invalid_credentials(bill_com):
    error = application_error(bill_com, CredentialsRefused("Wrong password."))
    assert (error.code, error.status_code) == ("invalid_credentials", 400)
    assert error.detail == "Bill.com refused these details: Wrong password."


@pytest.mark.parametrize(
    "exc", [TransientError("timed out."), ProviderRateLimited("slow down.", 5), OwnLimitReached("wait.", 1)]
)
def test_a_provider_that_cannot_answer_now_is_unavailable(bill_com, exc):
    error = application_error(bill_com, exc)
    assert (error.code, error.status_code) == ("provider_unavailable", 503)
    assert error.detail == (
        f"Bill.com could not be reached ({exc.message}) Nothing was changed; try again in a moment."
    )


def test_a_refused_authorisation_is_access_denied_with_the_providers_words():
    error = application_error(registry.get("xero"), AuthError("The provider refused the authorisation (x)."))
    assert (error.code, error.status_code, error.detail) == (
        "access_denied",
        400,
        "The provider refused the authorisation (x).",
    )


def test_a_refused_request_carries_the_providers_message(bill_com):
    error = application_error(bill_com, ValidationError("Vendor name too long."))
    assert (error.code, error.status_code) == ("provider_refused", 400)
    assert "Vendor name too long." in error.detail
