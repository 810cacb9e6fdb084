"""The one shape of a refusal by a service, shared by the apps' own errors."""


class ServiceError(Exception):
    """A step a service refuses: a message for the user (already translated into the
    request's language), the HTTP status and `code` the API answers with, and the form field
    it concerns, if any. Each app subclasses it for its steps (e.g. apartments.safety's
    ZeroReportError), and those for each case."""

    status_code = 409
    code = "conflict"
    field = ""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.message = message
        if field:
            self.field = field
