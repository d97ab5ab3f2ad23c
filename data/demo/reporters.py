"""Fake Vietnamese reporters: names by family frequency, phones and e-mails (sealed fields of a report)."""

from __future__ import annotations

from typing import Any

from data.demo.naming import slug


class ReporterNames:
    """Fake Vietnamese reporter names, picked by index (the family list is expanded by frequency)."""

    def __init__(self, book: dict[str, Any]) -> None:
        self.family = [f["n"] for f in book["family"] for _ in range(int(f["w"]))]
        self.middle = (book["male_middle"], book["female_middle"])
        self.given = (book["male_given"], book["female_given"])
        self.female_only = frozenset(book["female_only"])
        self.male_only = frozenset(book["male_only"])
        self.anonymous_share = float(book["anonymous_share"])

    def name(self, family_pick: int, middle_pick: int, given_pick: int, female: bool) -> tuple[str, str]:
        """The full name and the given name picked by these indexes."""
        family = self.family[family_pick % len(self.family)]
        female = (female or family in self.female_only) and family not in self.male_only
        middles, givens = self.middle[female], self.given[female]
        given = givens[given_pick % len(givens)]
        if family in self.female_only or family in self.male_only:  # Tôn Nữ Mai, Tôn Thất Huy
            return f"{family} {given}", given
        return f"{family} {middles[middle_pick % len(middles)]} {given}", given

    def reporter(self, channel: str, u: list[float], pick: list[int], phone: int) -> tuple[str | None, ...]:
        """Name, phone and e-mail of a fake reporter (sealed fields), or nothing when anonymous."""
        if u[6] < self.anonymous_share and channel != "email":
            return None, None, None
        name, given = self.name(pick[2], pick[3], pick[4], u[7] < 0.5)
        email = f"{slug(given)}.{slug(name.split()[0])}{pick[1] % 90 + 10}@example.com" if channel == "email" else None
        return name, f"09{phone:08d}", email
