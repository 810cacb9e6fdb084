# Repair tickets, dispatch, time limits, job tickets and storerooms arrive with their issue.
