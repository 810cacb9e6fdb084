"""Forms of the apartments pages: the spreadsheet imports."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apartments.imports import MAX_FILE_BYTES, MAX_FILE_MB, ImportKind


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
