"""The county's working-day calendar: holidays and weekend working days (调休), and their loading."""
