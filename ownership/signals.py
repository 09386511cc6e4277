"""What the ownership app announces to the apps above it, which it may not import.

``team_holidays_changed(sender=Team, team=<Team>)``: a team's ``public_holidays`` code was
set or changed (team creation included). Sent inside the service's transaction; receivers
run at once, in that transaction (the rota rewrites the team's holiday unavailability).
"""

from django.dispatch import Signal

team_holidays_changed = Signal()
