# Service standards, inspections, nonconformities and complaints arrive with their issue.
