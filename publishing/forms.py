"""Page forms: they parse and validate input only; the views hand the values to the services."""

from django import forms

from publishing.models import AutoPublish, ItemKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal", "class": "text-end num"})


def _currency(value: str) -> str:
    value = (value or "").strip().upper()
    if value and (len(value) != 3 or not value.isalpha()):
        raise forms.ValidationError("Use a three-letter currency code, such as GBP.")
    return value


class ItemFieldsForm(forms.Form):
    """The fields of an item a person can edit (the integration has its own control)."""

    contact_name = forms.CharField(label="Supplier", max_length=255, required=False)
    date = forms.DateField(required=False, widget=DATE)
    due_date = forms.DateField(label="Due date", required=False, widget=DATE)
    invoice_number = forms.CharField(label="Invoice no.", max_length=100, required=False)
    currency = forms.CharField(max_length=3, required=False, initial="GBP")
    total = forms.DecimalField(max_digits=14, decimal_places=2, required=False, widget=MONEY)
    tax = forms.DecimalField(max_digits=14, decimal_places=2, required=False, widget=MONEY)
    category = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. 429 General Expenses"})
    )
    tax_rate = forms.CharField(label="Tax rate", max_length=100, required=False)
    payment_method = forms.CharField(label="Payment method", max_length=100, required=False)
    paid = forms.BooleanField(required=False)
    description = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    publish_as = forms.ChoiceField(label="Publish as", required=False, choices=[("", "Default")])

    def __init__(self, *args, kind: str = ItemKind.COST, publish_as_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].label = "Customer" if kind == ItemKind.SALES else "Supplier"
        choices = [("", "Default for the integration"), *publish_as_choices]
        current = (self.initial or {}).get("publish_as") or (self.data.get("publish_as") if self.data else "")
        if current and current not in {c[0] for c in choices}:
            choices.append((current, current))
        self.fields["publish_as"].choices = choices
        for name, f in self.fields.items():
            css = "form-check-input" if isinstance(f.widget, forms.CheckboxInput) else "form-control form-control-sm"
            if isinstance(f.widget, forms.Select):
                css = "form-select form-select-sm"
            f.widget.attrs["class"] = f"{css} {f.widget.attrs.get('class', '')}".strip()
            f.widget.attrs.setdefault("id", f"id_{name}")

    def clean_currency(self):
        return _currency(self.cleaned_data.get("currency")) or "GBP"

    def item_values(self) -> dict:
        """The cleaned values, named as the item services take them (empty text stays empty)."""
        data = dict(self.cleaned_data)
        data.pop("contact_name", None)
        data.pop("kind", None)
        data.pop("attachment", None)
        for name in ("invoice_number", "category", "tax_rate", "payment_method", "description", "publish_as"):
            data[name] = (data.get(name) or "").strip()
        return data


class UploadForm(ItemFieldsForm):
    kind = forms.ChoiceField(choices=ItemKind.choices, initial=ItemKind.COST)
    attachment = forms.FileField(
        help_text="A PDF or an image (PNG, JPEG, GIF, WebP), up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg,image/gif,image/webp"}),
    )

    field_order = ["attachment", "kind", "contact_name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_name"].label = "Supplier or customer"
        self.fields["contact_name"].widget.attrs["placeholder"] = "e.g. Office Supplies Co (a new name is added)"
        self.fields["kind"].widget.attrs["class"] = "form-select form-select-sm"
        self.fields["attachment"].widget.attrs["class"] = "form-control form-control-sm"


class AttachmentForm(forms.Form):
    attachment = forms.FileField(
        widget=forms.ClearableFileInput(
            attrs={
                "accept": "application/pdf,image/png,image/jpeg,image/gif,image/webp",
                "class": "form-control form-control-sm",
                "aria-describedby": "attachment-help",
            }
        )
    )


TRI_STATE = [("", "Not set"), ("true", "Paid"), ("false", "Unpaid")]


class SupplierRuleForm(forms.Form):
    supplier_name = forms.CharField(label="Supplier", max_length=255)
    integration = forms.ChoiceField(label="Integration", required=False)
    category = forms.CharField(
        max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "e.g. 429 General Expenses"})
    )
    tax_rate = forms.CharField(label="Tax rate", max_length=100, required=False)
    payment_method = forms.CharField(label="Payment method", max_length=100, required=False)
    paid = forms.TypedChoiceField(
        choices=TRI_STATE, required=False, coerce=lambda v: v == "true", empty_value=None, label="Paid"
    )
    due_in_days = forms.IntegerField(label="Due in (days)", min_value=0, max_value=3650, required=False)
    description = forms.CharField(max_length=500, required=False)
    currency = forms.CharField(max_length=3, required=False)
    auto_publish = forms.TypedChoiceField(
        label="Auto-publish",
        choices=[("", "Not set"), *AutoPublish.choices],
        required=False,
        empty_value=None,
    )
    publish_as = forms.CharField(label="Publish as", max_length=40, required=False)
    apply_to_inbox = forms.BooleanField(
        label="Apply to inbox items",
        required=False,
        help_text="Also apply this rule to the supplier's unpublished items now "
        "(not to items whose integration was chosen by hand).",
    )

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["integration"].choices = [
            ("", "No rule — use the default"),
            *[(str(c.id), c.name) for c in connections],
        ]
        for f in self.fields.values():
            css = "form-check-input" if isinstance(f.widget, forms.CheckboxInput) else "form-control form-control-sm"
            if isinstance(f.widget, forms.Select):
                css = "form-select form-select-sm"
            f.widget.attrs["class"] = css

    def clean_currency(self):
        return _currency(self.cleaned_data.get("currency"))

    def rule_values(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("supplier_name", "apply_to_inbox", "integration"):
            data.pop(name, None)
        for name in ("category", "tax_rate", "payment_method", "description", "currency", "publish_as"):
            data[name] = (data.get(name) or "").strip()
        return data
