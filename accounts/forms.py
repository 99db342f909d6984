from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts.services import business_create
from accounts.throttling import signin_failure_record, signin_success_record, signin_throttle_check
from dext_connections.throttle import client_address


class SignupForm(forms.Form):
    """allauth's signup, plus the business that the new user administers."""

    full_name = forms.CharField(max_length=150, label="Your name")
    business_name = forms.CharField(max_length=200, label="Business name")

    field_order = ["full_name", "email", "business_name", "password1", "password2"]

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])
        business_create(name=self.cleaned_data["business_name"], owner=user)


class AdminLoginForm(AdminAuthenticationForm):
    """The Django admin's sign-in, through the one sign-in throttle (429 page once it is exceeded)."""

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is None or not password:
            return super().clean()
        address = client_address(self.request)
        signin_throttle_check(email=email, address=address)
        try:
            cleaned = super().clean()
        except ValidationError:
            if self.user_cache is None:  # wrong email or password (not: right password, but no staff access)
                signin_failure_record(email=email, address=address)
            raise
        signin_success_record(email=email)
        return cleaned
