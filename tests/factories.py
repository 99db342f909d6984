"""factory_boy factories for the test-suite."""

import factory

from accounts.models import Business, BusinessMembership, BusinessRole, Practice, PracticeMembership, PracticeRole, User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    name = factory.Sequence(lambda n: f"Practice {n}")


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business

    name = factory.Sequence(lambda n: f"Business {n}")


class BusinessMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessMembership

    user = factory.SubFactory(UserFactory)
    business = factory.SubFactory(BusinessFactory)
    role = BusinessRole.STANDARD


class PracticeMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PracticeMembership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = PracticeRole.STANDARD
