"""Vietnam's provinces (the 63 before the July 2025 merger, and Hà Tây before 2008), the whole country and
its six regions: the places outside the city that statistics compare it with (``IndicatorValue.place``).

National statistics spell the same province many ways ("Thua Thien Hue", "Thừa Thiên - Huế", "TP HCM",
"BRVT"); ``place_key`` folds a name to one key, so a file written without accents still finds its place.
"""

from __future__ import annotations

import re

from data.core.text import fold

# GSO code → name; the names are what ``IndicatorValue.place`` stores.
PROVINCES: dict[str, str] = {
    "01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang", "10": "Lào Cai",
    "11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái", "17": "Hòa Bình", "19": "Thái Nguyên",
    "20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Giang", "25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh",
    "30": "Hải Dương", "31": "Hải Phòng", "33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định",
    "37": "Ninh Bình", "38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình", "45": "Quảng Trị",
    "46": "Thừa Thiên Huế", "48": "Đà Nẵng", "49": "Quảng Nam", "51": "Quảng Ngãi", "52": "Bình Định",
    "54": "Phú Yên", "56": "Khánh Hòa", "58": "Ninh Thuận", "60": "Bình Thuận", "62": "Kon Tum", "64": "Gia Lai",
    "66": "Đắk Lắk", "67": "Đắk Nông", "68": "Lâm Đồng", "70": "Bình Phước", "72": "Tây Ninh", "74": "Bình Dương",
    "75": "Đồng Nai", "77": "Bà Rịa - Vũng Tàu", "79": "Hồ Chí Minh", "80": "Long An", "82": "Tiền Giang",
    "83": "Bến Tre", "84": "Trà Vinh", "86": "Vĩnh Long", "87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang",
    "92": "Cần Thơ", "93": "Hậu Giang", "94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}
# Figures for the country and its regions are what a province is most often compared with.
OTHER_PLACES = (
    "Hà Tây",  # merged into Hà Nội in 2008; old yearbooks still list it
    "Cả nước",
    "Đồng bằng sông Hồng", "Trung du và miền núi phía Bắc", "Bắc Trung Bộ và Duyên hải miền Trung",
    "Tây Nguyên", "Đông Nam Bộ", "Đồng bằng sông Cửu Long",
)
# Spellings the folding cannot reach: abbreviations, and a typo of the GSO yearbook files.
ALIASES: dict[str, str] = {
    "TP HCM": "Hồ Chí Minh", "HCM": "Hồ Chí Minh", "Sài Gòn": "Hồ Chí Minh", "BRVT": "Bà Rịa - Vũng Tàu",
    "Hai Phuong": "Hải Phòng", "Toàn quốc": "Cả nước", "Việt Nam": "Cả nước",
}
# Words in front of a unit's name that say its level, not which one it is.
_LEVEL_WORDS = re.compile(r"^(tinh|thanh pho|tp|quan|huyen|thi xa|thi tran|phuong|xa)\s+")
_NOT_WORD = re.compile(r"[\W_]+")


def place_key(name: str) -> str:
    """``"TP. Hồ Chí Minh"``, ``"Ho Chi Minh"``, ``"Phường An Cựu"``/``"AnCựu"`` → one key each."""
    words = _NOT_WORD.sub(" ", fold(name)).strip()
    return _LEVEL_WORDS.sub("", words).replace(" ", "") or words.replace(" ", "")


def known_places() -> dict[str, str]:
    """Place key → the name stored in ``IndicatorValue.place``: provinces, the country, regions, aliases."""
    names = [*PROVINCES.values(), *OTHER_PLACES]
    keys = {place_key(name): name for name in names}
    keys.update({place_key(alias): name for alias, name in ALIASES.items()})
    return keys
