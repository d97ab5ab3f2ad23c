"""Category suggestions for a report's text: a model trained on our own handled reports, else keyword rules.

The model is TF-IDF over folded (lower-case, diacritics-free) text, word 1–2-grams (Vietnamese words
are one or two syllables) plus character 2–5-grams (typos, missing spaces), feeding a multinomial
logistic regression, whose probabilities give the confidence. Reports an operator confirmed or
corrected weigh ``CONFIRMED_WEIGHT`` times more than reports merely handled under their category.

Security: the model is stored pickled (joblib) in ``classifier_models.blob``, and unpickling runs
code. Blobs only ever come from ``train`` writing to our own database; never load one from elsewhere.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time
import unicodedata
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import FeatureUnion, Pipeline
from sqlalchemy import Engine, delete, or_, select
from sqlalchemy.orm import Session

from data.core.jobs import register
from data.core.text import fold
from data.models import Category, ClassifierModel, Report, ReportStatus

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

# Statuses that mean someone handled the report under its category (so the label is probably right);
# rejected, duplicate and not-responsible reports say nothing about their category.
HANDLED = (
    ReportStatus.VERIFIED,
    ReportStatus.ASSIGNED,
    ReportStatus.IN_PROGRESS,
    ReportStatus.RESOLVED,
    ReportStatus.CLOSED,
    ReportStatus.REOPENED,
    ReportStatus.REFERRED,
)
CONFIRMED_WEIGHT = 5.0
MAX_SAMPLES = 50_000  # the most recent: enough for a daily fit of a few minutes at most
HOLDOUT_SHARE = 0.2
KEEP_MODELS = 3  # older blobs are deleted by the job; their metrics go with them
SEED = 20_26


@dataclass(frozen=True)
class Suggestion:
    category_id: int | None
    confidence: float
    method: str  # "model" | "keywords" | "none"


NO_SUGGESTION = Suggestion(None, 0.0, "none")


@dataclass(frozen=True)
class Samples:
    """Labelled texts (already folded), their categories and weights, as plain lists."""

    texts: list[str]
    labels: list[int]
    weights: list[float]


# --- training ---------------------------------------------------------------------------------------


def build_pipeline() -> Pipeline:
    """An untrained TF-IDF (words + characters) + logistic-regression pipeline over folded text."""
    words = TfidfVectorizer(
        ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", sublinear_tf=True, max_features=50_000, dtype=np.float32
    )  # one-letter syllables count: "o ga" is ổ gà
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=50_000, dtype=np.float32
    )
    features = FeatureUnion([("words", words), ("chars", chars)])
    return Pipeline([("features", features), ("model", LogisticRegression(C=10.0, max_iter=2000))])


def fit_classifier(samples: Samples) -> tuple[Pipeline, dict[str, Any]]:
    """Score a fit on a stratified hold-out, then fit on every sample; the pipeline and its metrics."""
    started = time.perf_counter()
    labels = np.asarray(samples.labels)
    counts = np.unique(labels, return_counts=True)[1]
    n_test = max(1, round(len(labels) * HOLDOUT_SHARE))
    # Stratify when every category can give one row to each side; otherwise a plain random split.
    stratify = labels if counts.min() >= 2 and n_test >= len(counts) else None
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)), test_size=n_test, random_state=SEED, stratify=stratify
    )
    scored = _fit(samples, train_idx)
    predicted = scored.predict([samples.texts[i] for i in test_idx])
    metrics: dict[str, Any] = {
        "accuracy": round(float(accuracy_score(labels[test_idx], predicted)), 4),
        "macro_f1": round(float(f1_score(labels[test_idx], predicted, average="macro", zero_division=0)), 4),
        "holdout": len(test_idx),
        "samples": len(labels),
        "confirmed": sum(w > 1.0 for w in samples.weights),
        "categories": len(counts),
        "sklearn": sklearn.__version__,
    }
    pipeline = _fit(samples, np.arange(len(labels)))
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    return pipeline, metrics


def _fit(samples: Samples, rows: np.ndarray) -> Pipeline:
    pipeline = build_pipeline()
    weights = np.asarray(samples.weights)[rows]
    pipeline.fit([samples.texts[i] for i in rows], np.asarray(samples.labels)[rows], model__sample_weight=weights)
    return pipeline


def labelled_samples(session: Session, limit: int = MAX_SAMPLES) -> Samples:
    """The most recent reports whose category an operator confirmed or under which they were handled."""
    query = (
        select(Report.title, Report.description, Report.category_id, Report.category_confirmed)
        .where(
            Report.category_id.is_not(None),
            or_(Report.category_confirmed, Report.status.in_([s.value for s in HANDLED])),
        )
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
    )
    samples = Samples([], [], [])
    for title, description, category_id, confirmed in session.execute(query):
        if category_id is None:  # excluded by the query; this tells mypy
            continue
        samples.texts.append(fold(f"{title or ''} {description}"))
        samples.labels.append(category_id)
        samples.weights.append(CONFIRMED_WEIGHT if confirmed else 1.0)
    return samples


def train(session: Session, min_samples: int = 50) -> ClassifierModel | None:
    """Train on the labelled reports and store the model; None with too few rows or categories."""
    samples = labelled_samples(session)
    if len(samples.labels) < min_samples or len(set(samples.labels)) < 2:
        log.info("classifier: %d labelled reports, not enough to train", len(samples.labels))
        return None
    pipeline, metrics = fit_classifier(samples)
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer, compress=3)
    model = ClassifierModel(samples=len(samples.labels), metrics=metrics, blob=buffer.getvalue())
    session.add(model)
    session.flush()
    log.info("classifier: model %d trained on %d reports: %s", model.id, model.samples, metrics)
    return model


@register("classifier.train", every_s=24 * 3600)
def train_job(runtime: Runtime) -> int | None:
    """Retrain the report classifier once a day; the new model's id (None when there was too little data)."""
    with runtime.session() as session:
        model = train(session)
        if model is None:
            return None
        keep = select(ClassifierModel.id).order_by(ClassifierModel.id.desc()).limit(KEEP_MODELS)
        session.execute(delete(ClassifierModel).where(ClassifierModel.id.not_in(keep.scalar_subquery())))
        return model.id


# --- suggesting ---------------------------------------------------------------------------------------


class _ModelCache:
    """Unpickled models, newest only, per engine: one database's model is never served for another's.

    Process-wide on purpose: unpickling takes far longer than a prediction, so it happens once per
    model and process, not per call. Entries go with their engine (weak keys).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._models: weakref.WeakKeyDictionary[Engine, tuple[int, Pipeline | None]] = weakref.WeakKeyDictionary()

    def get(self, session: Session, model_id: int) -> Pipeline | None:
        engine = session.get_bind().engine
        with self._lock:
            cached = self._models.get(engine)
            if cached is None or cached[0] != model_id:
                cached = (model_id, _unpickle(session, model_id))
                self._models[engine] = cached
            return cached[1]


def _unpickle(session: Session, model_id: int) -> Pipeline | None:
    blob = session.scalar(select(ClassifierModel.blob).where(ClassifierModel.id == model_id))
    try:
        pipeline: Pipeline = joblib.load(io.BytesIO(blob or b""))  # our own blob: see the module docstring
    except Exception:  # a model from another scikit-learn must not stop intake: keywords take over
        log.exception("classifier: model %d cannot be loaded; suggesting by keywords", model_id)
        return None
    return pipeline


_MODELS = _ModelCache()


def suggest(session: Session, text: str) -> Suggestion:
    """The likely category of a report's text: by the newest model, else by keywords, else none."""
    if not text.strip():
        return NO_SUGGESTION
    model_id = session.scalar(select(ClassifierModel.id).order_by(ClassifierModel.id.desc()).limit(1))
    pipeline = _MODELS.get(session, model_id) if model_id is not None else None
    if pipeline is not None:
        return model_suggestion(pipeline, text)
    rows = session.execute(select(Category.id, Category.keywords).where(Category.keywords.is_not(None)))
    return keyword_suggestion(text, {cid: words for cid, words in rows if words})


def model_suggestion(pipeline: Pipeline, text: str) -> Suggestion:
    """The top class of a trained pipeline and its probability."""
    probabilities = pipeline.predict_proba([fold(text)])[0]
    best = int(np.argmax(probabilities))
    return Suggestion(int(pipeline.classes_[best]), round(float(probabilities[best]), 4), "model")


# --- keyword rules ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    # NFC first: decomposed input (some phones) would otherwise split words at each accent.
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


def _phrase_at(tokens: Sequence[str], at: int, phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` starts at ``tokens[at]``: a word typed with accents must match them exactly,
    one typed without accents matches any accents ("cong" is cống or công, "công" is never cống)."""
    if at + len(phrase) > len(tokens):
        return False
    for typed, word in zip(tokens[at : at + len(phrase)], phrase, strict=True):
        plain = fold(typed) == typed
        if typed != (fold(word) if plain else word):
            return False
    return True


def keyword_suggestion(text: str, keywords: Mapping[int, Sequence[str]]) -> Suggestion:
    """The category whose keywords (whole words or phrases) the text holds most; confidence is its share."""
    tokens = _words(text)
    scores: dict[int, int] = {}
    for category_id, phrases in keywords.items():
        found = sum(
            any(_phrase_at(tokens, i, words) for i in range(len(tokens)))
            for words in (_words(p) for p in phrases)
            if words
        )
        if found:
            scores[category_id] = found
    if not scores:
        return NO_SUGGESTION
    best = min(scores, key=lambda c: (-scores[c], c))  # ties go to the older category
    return Suggestion(best, round(scores[best] / sum(scores.values()), 4), "keywords")
