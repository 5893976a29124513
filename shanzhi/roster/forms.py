from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shanzhi.roster import services

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Roster file (.xlsx or .csv)"))
    mode = forms.ChoiceField(
        label=_("If some rows are wrong"), widget=forms.RadioSelect, initial=services.ALL_OR_NOTHING,
        choices=[(services.ALL_OR_NOTHING, _("Import nothing, so I can fix the file first")),
                 (services.SKIP_INVALID, _("Import the good rows; give me the bad ones to fix")),
                 (services.DRY_RUN, _("Only check the file; import nothing"))])

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB: ask the county administrator to "
                                          "import it with the shanzhi import command."))
        return upload


class ExportForm(forms.Form):
    region = forms.CharField(required=False, max_length=20)
    format = forms.ChoiceField(choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")], required=False)
