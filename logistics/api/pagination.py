from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PagePagination(PageNumberPagination):
    """`?page=N&page_size=M` (M at most 200): {"count", "next", "previous", "results"}.

    Both are what the OpenAPI description says, or the request answers 400 naming the
    parameter: a whole number from 1 (`page_size` at most 200), given at most once. DRF's own
    paginator would quietly read `page_size=abc` or `page_size=0` as the default, cap 500 at
    200, take the last of repeated values and accept `page=last`; a client would never learn
    that it did not get what it asked for. A page past the last answers 404."""

    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def paginate_queryset(self, queryset, request, view=None):
        self._check_parameters(request)
        return super().paginate_queryset(queryset, request, view)

    def _check_parameters(self, request) -> None:
        errors = {}
        limits = {self.page_query_param: None, self.page_size_query_param: self.max_page_size}
        for name, maximum in limits.items():
            values = request.query_params.getlist(name)
            if not values:
                continue
            if len(values) > 1:
                errors[name] = [_("Give this parameter once.")]
                continue
            value = values[0]
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                errors[name] = [_("A whole number from 1 is required.")]
            elif maximum is not None and int(value) > maximum:
                errors[name] = [
                    _("At most %(maximum)s results fit on a page.") % {"maximum": maximum}
                ]
        if errors:
            raise ValidationError(errors)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = str(
                    _("Results per page, 1 to %(maximum)s (default %(default)s).")
                    % {"maximum": self.max_page_size, "default": self.page_size}
                )
            else:
                parameter["description"] = str(
                    _("A page number from 1; a page past the last answers 404.")
                )
        return parameters
