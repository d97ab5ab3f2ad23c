"""Password policy: one-time passwords an admin hands out, and the strength of the ones people choose.

A person's own password must be long (``MIN_PASSWORD``) and hard to guess: zxcvbn (Dropbox's estimator,
with its lists of common passwords, names and keyboard patterns) must score it at least ``MIN_SCORE``
of 4, the user's name and the city's words counting as known. No rules about digits or symbols (NIST SP
800-63B): length and a blocklist stop what people really pick. One-time passwords are random, shown
once to the admin, and must be replaced at the first login (``User.must_change_password``).
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from sqlalchemy.orm import Session

from data.accounts import audit
from data.accounts.users import MIN_PASSWORD, change_password, verify_password
from data.core.errors import FieldError
from data.models import User

MIN_SCORE = 3  # zxcvbn: 3 = "safely unguessable: moderate protection from offline slow-hash scenario"
# Words everyone here would try first: they count as known to a guesser.
LOCAL_WORDS = ("ioc", "hue", "thuathienhue", "quangtri", "dongha", "matkhau", "password", "quantri", "admin")
# No 0/O, 1/l/I: a one-time password is read out or copied by hand.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ZXCVBN_MAX = 128  # zxcvbn's cost grows with length; a longer password is strong by its length alone


def one_time_password() -> str:
    """A random password to hand out once: 4 groups of 4 (≈ 79 bits), easy to read aloud."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def check_strength(password: str, *known: str | None, field: str = "new_password") -> None:
    """Raise ``FieldError`` naming ``field`` when ``password`` is too short or too easy to guess."""
    if len(password) < MIN_PASSWORD:
        raise FieldError(field, "too_short", f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự "
                                             f"(password: at least {MIN_PASSWORD} characters).", n=MIN_PASSWORD)
    # Imported here: its word lists cost ≈ 0.2 s and 12 MB, paid by a web worker only when someone
    # actually chooses a password, never by the job workers or gateways that import this package.
    from zxcvbn import zxcvbn

    hints = [*_variants(known), *LOCAL_WORDS]
    if len(password) <= ZXCVBN_MAX and zxcvbn(password, user_inputs=hints)["score"] < MIN_SCORE:
        raise FieldError(field, "weak", "Mật khẩu quá dễ đoán: dùng một câu dài hoặc nhiều từ ngẫu nhiên, "
                                        "không dùng tên, năm sinh hay chữ lặp lại (password too easy to guess).")


def _variants(known: tuple[str | None, ...]) -> list[str]:
    """Each known text, its words, and both without accents or punctuation ("Phạm Thị" → "pham", "thi",
    "phamthi"; "canbo-a" → "canboa"): a guesser tries them all."""
    found: list[str] = []
    for text in filter(None, known):
        plain = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
        plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
        for form in (text.lower(), plain):
            words = re.findall(r"\w+", form)
            found += [form, "".join(words), *words]
    return [word for word in dict.fromkeys(found) if len(word) >= 3]


def set_own_password(session: Session, user: User, current: str, new: str, repeat: str,
                     source_ip: str | None = None) -> int:
    """The user replaces their password (the one-time one included); every open session of theirs ends.

    Checks come first, each naming its field; nothing is written unless all pass. Returns sessions ended.
    """
    if not verify_password(user, current):
        raise FieldError("current_password", "wrong_current", "Mật khẩu hiện tại không đúng "
                                                              "(current password is wrong).")
    if new != repeat:
        raise FieldError("repeat_password", "mismatch", "Hai lần nhập mật khẩu mới không khớp "
                                                        "(the new passwords differ).")
    if new == current:
        raise FieldError("new_password", "same", "Mật khẩu mới phải khác mật khẩu hiện tại "
                                                 "(choose a password other than the current one).")
    check_strength(new, user.username, user.full_name)
    forced = user.must_change_password
    ended = change_password(session, user, new)
    user.must_change_password = False
    audit.record(session, "password.change", user_id=user.id, username=user.username, target=f"user:{user.id}",
                 source_ip=source_ip, detail={"forced": forced, "sessions_ended": ended})
    return ended
