from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The student id or work id and password do not match. Both are case-sensitive."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Student id or work id")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Sign in"), css_class="w-100 btn-lg"))


class PortalPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Change password")))


class UserChoiceField(forms.ModelChoiceField):
    """A choice of a person: shown by name, the username beside it to tell namesakes apart
    (a bare username such as `technician2` is not what a person looks for)."""

    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    """UserChoiceField for several people."""

    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"
