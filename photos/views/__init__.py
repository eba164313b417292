"""The organiser pages of the photos app: events, albums, photos."""
