"""Duplicate reports: likely duplicates of a report, merging one into another, and citizens' "me too".

Text similarity is the Jaccard index of folded word sets (plus adjacent-word pairs), not TF-IDF:
the candidates are a handful of short texts of one category, too few to estimate document
frequencies from, and reading them from the whole table would cost what the search must not.
Jaccard needs no corpus or model, is symmetric, lies in [0, 1] and is easy to explain on screen.
Word pairs matter in Vietnamese, where words are several syllables: "đèn đường" is not "đường".
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.core.errors import InvalidInput
from data.core.text import fold
from data.geo.geometry import EARTH_RADIUS_M, distance_m
from data.models import Report, ReportStatus
from data.reports.workflow import Actor, apply, check_action, lock_report

# Candidates read per search at most: a hot spot (a flooded street, 3,000 reports) stays cheap.
MAX_SCAN = 2000
# Place weighs most (the category already matches), then the words, then the time apart.
WEIGHT_PLACE, WEIGHT_TEXT, WEIGHT_TIME = 0.45, 0.35, 0.20
NOT_CANDIDATES = (ReportStatus.REJECTED.value, ReportStatus.DUPLICATE.value)
METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
# Folded words of almost every report: they make any two texts look alike. Folded words that are
# also nouns (den: đến/đèn, co: có/cỏ, do: đó/đỏ) are kept.
STOPWORDS = frozenset((
    "a", "anh", "bi", "cac", "cho", "cua", "dang", "de", "duoc", "em", "khong", "khu", "la", "lam", "luc",
    "ma", "mot", "nay", "nhieu", "nhung", "nguoi", "o", "oi", "qua", "rat", "roi", "tai", "thi", "toi",
    "tren", "trong", "va", "vao", "voi", "vui", "long", "xin",
))


@dataclass(frozen=True)
class Candidate:
    """A report that may be the same problem, and how close it is in place, time and words."""

    report_id: int
    tracking_code: str
    distance_m: float
    days_apart: float
    text_similarity: float
    score: float


def bbox_deltas(lat: float, radius_m: float) -> tuple[float, float]:
    """Half the side, in degrees of latitude and longitude, of a box holding a circle of ``radius_m``."""
    margin = 1.01  # the exact distance is checked afterwards; the box only must not cut the circle
    dlat = radius_m / METRES_PER_DEGREE * margin
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    return dlat, dlon


def features(text: str | None) -> frozenset[str]:
    """The words of a folded text without stopwords, plus its adjacent word pairs."""
    words = re.findall(r"\w+", fold(text))
    pairs = {f"{a} {b}" for a, b in itertools.pairwise(words) if not (a in STOPWORDS and b in STOPWORDS)}
    return frozenset({w for w in words if w not in STOPWORDS} | pairs)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|; 0 when both are empty."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def score(distance: float, radius_m: float, days_apart: float, days: int, similarity: float) -> float:
    """One number to rank candidates by: 1 for the same spot, time and words; 0 at the limits."""
    place = max(0.0, 1 - distance / radius_m)
    time = max(0.0, 1 - days_apart / days) if days else 1.0
    return WEIGHT_PLACE * place + WEIGHT_TEXT * similarity + WEIGHT_TIME * time


def _text_of(search_text: str | None, title: str | None, description: str | None) -> str:
    return search_text or f"{title or ''} {description or ''}"


def find_duplicates(session: Session, report: Report, radius_m: float, days: int, limit: int = 5) -> list[Candidate]:
    """Reports of the same category within ``radius_m`` and ``days`` of ``report``, most alike first."""
    if radius_m <= 0 or days < 0:
        raise InvalidInput("Bán kính phải dương và số ngày không âm (radius > 0, days >= 0).")
    if report.category_id is None or report.lat is None or report.lon is None:
        return []  # without a category and a place there is nothing to compare it with
    dlat, dlon = bbox_deltas(report.lat, radius_m)
    window = timedelta(days=days)
    # The (created_at, category_id) index narrows to the days and the category; the box is checked on
    # those rows only, and the exact distance in Python on what is left.
    rows = session.execute(
        select(Report.id, Report.tracking_code, Report.lat, Report.lon, Report.created_at, Report.search_text,
               Report.title, Report.description)
        .where(Report.created_at.between(report.created_at - window, report.created_at + window),
               Report.category_id == report.category_id,
               Report.lat.between(report.lat - dlat, report.lat + dlat),
               Report.lon.between(report.lon - dlon, report.lon + dlon),
               Report.status.not_in(NOT_CANDIDATES), Report.id != report.id)
        .limit(MAX_SCAN)
    ).all()  # fmt: skip
    mine = features(_text_of(report.search_text, report.title, report.description))
    found = []
    for row in rows:
        distance = distance_m(report.lat, report.lon, row.lat, row.lon)
        if distance > radius_m:
            continue
        apart = abs((row.created_at - report.created_at).total_seconds()) / 86400
        similarity = jaccard(mine, features(_text_of(row.search_text, row.title, row.description)))
        found.append(Candidate(row.id, row.tracking_code, distance, apart, similarity,
                               score(distance, radius_m, apart, days, similarity)))
    found.sort(key=lambda c: (-c.score, c.distance_m, c.report_id))
    return found[:limit]


def merge(session: Session, duplicate_id: int, into_id: int, actor: Actor) -> None:
    """Mark ``duplicate_id`` a duplicate of ``into_id``; its reporters and "me too"s move to the target."""
    if duplicate_id == into_id:
        raise InvalidInput("Không thể gộp một phản ánh vào chính nó (cannot merge a report into itself).")
    for report_id in sorted((duplicate_id, into_id)):  # one lock order: A→B and B→A cannot deadlock
        lock_report(session, report_id)
    duplicate, target = lock_report(session, duplicate_id), lock_report(session, into_id)
    check_action(duplicate, "mark_duplicate", actor)
    check_action(target, "merge", actor)
    earlier = list(session.scalars(select(Report).where(Report.duplicate_of_id == duplicate.id)))
    added = 1 + duplicate.me_too_count
    # The workflow's notice tells the duplicate's reporter (and those of its own earlier duplicates,
    # still pointing at it) the target's tracking code.
    apply(session, duplicate.id, "mark_duplicate", actor, duplicate_of_id=target.id)
    for report in earlier:  # one level only: a later notice of the target reaches them directly
        report.duplicate_of_id = target.id
    target.me_too_count += added
    apply(session, target.id, "merge", actor, data={
        "duplicate_id": duplicate.id, "duplicate_code": duplicate.tracking_code, "me_too_added": added,
        "repointed_ids": [r.id for r in earlier],
    })  # fmt: skip


def me_too(session: Session, report_id: int) -> int:
    """A citizen's "me too" (+1); on a merged duplicate it counts for the report it was merged into."""
    report = lock_report(session, report_id)
    if report.status == ReportStatus.DUPLICATE and report.duplicate_of_id is not None:
        report = lock_report(session, report.duplicate_of_id)
    if report.status == ReportStatus.REJECTED:
        raise InvalidInput(f"Phản ánh {report.tracking_code} đã bị từ chối (the report was rejected).")
    report.me_too_count += 1
    session.flush()
    return report.me_too_count
