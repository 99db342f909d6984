from django import forms

from accounts.services import business_create


class SignupForm(forms.Form):
    """allauth's signup, plus the business that the new user administers."""

    full_name = forms.CharField(max_length=150, label="Your name")
    business_name = forms.CharField(max_length=200, label="Business name")

    field_order = ["full_name", "email", "business_name", "password1", "password2"]

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"]
        user.save(update_fields=["full_name"])
        business_create(name=self.cleaned_data["business_name"], owner=user)
