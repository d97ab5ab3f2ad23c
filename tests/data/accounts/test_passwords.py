"""Passwords people choose (data/accounts/passwords.py): long and hard to guess, checked field by field
before anything is written; a new one ends every session and lifts the forced change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data.accounts import sessions as login_sessions
from data.accounts.passwords import check_strength, one_time_password, set_own_password
from data.accounts.users import authenticate, create_user
from data.core.errors import FieldError
from data.core.runtime import Runtime
from data.models import AuditEntry, Role, User

OLD = "bhtz-4kqm-82wn-xr7c"


@pytest.mark.parametrize(("password", "code"), [
    ("ngan-qua", "too_short"),  # 8 characters
    ("1234567890", "weak"),  # a top-100 password
    ("aaaaaaaaaaaa", "weak"),  # a repeat
    ("nguyenvana1", "weak"),  # the username and a digit
    ("matkhau2025", "weak"),  # "password" in Vietnamese, and a year
    ("hue2025hue2025", "weak"),
])
def test_weak_passwords_are_refused_naming_the_field(password: str, code: str) -> None:
    with pytest.raises(FieldError) as caught:
        check_strength(password, "nguyenvana", "Nguyễn Văn A")
    assert (caught.value.field, caught.value.code) == ("new_password", code)


def test_the_users_own_names_count_without_accents_or_punctuation() -> None:
    for password, known in (("canboa2025", "canbo-a"), ("tranthibinh88", "Trần Thị Bình")):
        with pytest.raises(FieldError):
            check_strength(password, known)


@pytest.mark.parametrize("password", ["sông Hương chảy qua cầu Tràng Tiền", "x7#kQ9!pLm2z", "tím-ngựa-bảy-đèn-lồng"])
def test_long_or_random_passwords_pass(password: str) -> None:
    check_strength(password, "nguyenvana", "Nguyễn Văn A")


def test_one_time_passwords_are_random_and_strong() -> None:
    made = {one_time_password() for _ in range(200)}
    assert len(made) == 200
    for password in list(made)[:20]:
        check_strength(password)
        assert not set(password) & set("01lIoO")  # nothing to misread when it is dictated


def test_setting_ones_own_password(runtime: Runtime) -> None:
    with runtime.session() as s:
        user = create_user(s, "nguyenvana", OLD, Role.OPERATOR)
        user.must_change_password = True
        user_id = user.id
        token = login_sessions.open_session(s, user_id)
    refusals = [("nhầm-mật-khẩu-rồi", "sông Hương mùa thu", "sông Hương mùa thu", "current_password"),
                (OLD, "sông Hương mùa thu", "sông Hương mùa xuân", "repeat_password"),
                (OLD, OLD, OLD, "new_password"),
                (OLD, "nguyenvana2025", "nguyenvana2025", "new_password")]
    for current, new, repeat, field in refusals:
        with pytest.raises(FieldError) as caught, runtime.session() as s:
            set_own_password(s, s.get(User, user_id), current, new, repeat)  # type: ignore[arg-type]
        assert caught.value.field == field, (field, caught.value.message)
        with runtime.session() as s:  # nothing applied: the old password and the forced change remain
            assert authenticate(s, "nguyenvana", OLD) is not None
            assert login_sessions.signed_in_user(s, token, runtime.settings.session_lifetimes) is not None
    with runtime.session() as s:
        ended = set_own_password(s, s.get(User, user_id), OLD, "sông Hương mùa thu", "sông Hương mùa thu",  # type: ignore[arg-type]
                                 source_ip="192.0.2.4")
    assert ended == 1
    with runtime.session() as s:
        assert authenticate(s, "nguyenvana", OLD) is None
        changed = authenticate(s, "nguyenvana", "sông Hương mùa thu")
        assert changed is not None and not changed.must_change_password
        assert login_sessions.signed_in_user(s, token, runtime.settings.session_lifetimes) is None
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "password.change")).one()
    assert (entry.username, entry.source_ip, entry.detail) == ("nguyenvana", "192.0.2.4",
                                                               {"forced": True, "sessions_ended": 1})
