"""Forms of the apartments pages: the spreadsheet imports."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apartments.imports import MAX_FILE_BYTES, MAX_FILE_MB, ImportKind, may_create_campuses


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"),
        choices=ImportKind.choices,
        initial=ImportKind.ROOMS,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): write nothing"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if may_create_campuses(user):
            # Only for those who may create campuses: for anyone else an unknown campus stays
            # a bad row, whatever the request says.
            self.fields["create_campuses"] = forms.BooleanField(
                label=_("Create the campuses the file names"),
                help_text=_(
                    "Room imports only: a campus the file names that does not exist yet is "
                    "created (the report lists it). Without it, an unknown campus is a bad row, "
                    "so that a typo never creates a campus."
                ),
                required=False,
            )
        # Formatted here, not at import time, so that it follows the request's language.
        self.fields["file"].help_text = gettext(
            "CSV (.csv) or Excel (.xlsx), at most %(limit)s MB, with a header row in English "
            "or Chinese."
        ) % {"limit": MAX_FILE_MB}
        self.helper = FormHelper()
        self.helper.form_id = "import-form"
        self.helper.attrs = {"data-testid": "import-form"}
        self.helper.add_input(Submit("submit", _("Upload"), css_class="w-100 w-sm-auto"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before the file is read: the size the browser sent.
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB."), params={"limit": MAX_FILE_MB}
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("create_campuses") and data.get("kind") not in (None, ImportKind.ROOMS):
            self.add_error("create_campuses", _("Only a room import creates campuses."))
        return data
