# Tokens get a name, an expiry and the fingerprint of the password they were issued under.
# Tokens that exist already are fingerprinted with their user's current password (so they keep working)
# and expire API_TOKEN_TTL_SECONDS after they were made, like every new one.

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils.crypto import salted_hmac


def fingerprint_and_expire_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    ttl = getattr(settings, "API_TOKEN_TTL_SECONDS", 0)
    for token in ApiToken.objects.select_related("user").iterator():
        token.password_fingerprint = salted_hmac(
            "accounts.ApiToken.password_fingerprint", token.user.password or "", algorithm="sha256"
        ).hexdigest()
        token.expires_at = token.created_at + timedelta(seconds=ttl) if ttl > 0 else None
        token.save(update_fields=["password_fingerprint", "expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="name",
            field=models.CharField(blank=True, help_text="The owner's label for the token.", max_length=100),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="password_fingerprint",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fingerprint_and_expire_existing_tokens, migrations.RunPython.noop),
    ]
