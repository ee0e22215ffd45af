"""The registry of responsible units (责任单位) and how names met in documents resolve to it.

A unit's identity includes the jurisdiction of the body that issued the document: 市教育局 in
青岛's document is 青岛市教育局, 局人事科 in 咸宁市教育局's plan is 咸宁市教育局人事科. Names that
the registry does not know are still resolved, to a name qualified by that jurisdiction.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.ingest.formats.text import decode_text

# Brackets, 、 and spaces differ between documents for one unit: 各县(市、区)教育局 = 各县市区教育局.
_KEY_NOISE = re.compile(r"[\s　()（）〔〕\[\]【】［］、·.．]")
_TRAILING_ETC = re.compile(r"(等(有关|相关)?(单位|部门)?)$")


def unit_key(name: str) -> str:
    """Matching key of a unit name: no spaces, brackets or 、."""
    return _KEY_NOISE.sub("", name)


def clean_unit_name(raw: str) -> str:
    """A unit as written, minus surrounding noise and a trailing 等."""
    name = raw.strip(" \t　，,；;。.:：")
    name = _TRAILING_ETC.sub("", name)
    return name.strip(" \t　")


@dataclass(frozen=True)
class Unit:
    name: str  # canonical name, shown in answers
    jurisdiction: str  # the place whose body this unit belongs to, e.g. 咸宁市, 青岛市
    kind: str = ""  # 局机关科室 / 直属单位 / 县级教育局 / "" when unknown
    full_name: str = ""
    in_registry: bool = False

    @property
    def unit_id(self) -> str:
        return f"{self.jurisdiction}/{self.name}"


class RegistryError(ValueError):
    """The unit registry file cannot be used at all; the message names it."""


_COLUMNS = ("name", "full_name", "jurisdiction", "kind", "aliases")
_REQUIRED_COLUMNS = ("name", "jurisdiction")


@dataclass
class UnitRegistry:
    units: list[Unit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows left out, one line each
    _by_key: dict[tuple[str, str], Unit] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, path: Path | None) -> UnitRegistry:
        """Read ``units.csv`` (name, full_name, jurisdiction, kind, aliases separated by |), in
        UTF-8 or GBK as documents are. A row that cannot be used is left out and reported in
        ``problems`` with its line; a file that cannot be used at all raises RegistryError."""
        registry = cls()
        if path is None or not path.exists():
            return registry
        try:
            text, _ = decode_text(path.read_bytes())
        except (OSError, ValueError) as error:
            raise RegistryError(f"{path}: cannot read the unit registry ({error})") from None
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        missing = [c for c in _REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RegistryError(
                f"{path}: the header must name the columns {', '.join(_COLUMNS)}; "
                f"{', '.join(missing)} missing (found: {', '.join(reader.fieldnames or []) or 'none'})"
            )
        for row in reader:
            line = reader.line_num
            name, place = (row.get("name") or "").strip(), (row.get("jurisdiction") or "").strip()
            if not name or not place or None in row:
                registry.problems.append(
                    f"{path}: line {line}: a unit needs a name and a jurisdiction, "
                    f"and no more than {len(reader.fieldnames or [])} columns; the row was left out"
                )
                continue
            unit = Unit(
                name=name,
                jurisdiction=place,
                kind=(row.get("kind") or "").strip(),
                full_name=(row.get("full_name") or "").strip(),
                in_registry=True,
            )
            aliases = [a for a in (row.get("aliases") or "").split("|") if a.strip()]
            registry.add(unit, aliases)
        return registry

    def add(self, unit: Unit, aliases: list[str]) -> None:
        self.units.append(unit)
        for alias in [unit.name, unit.full_name, *aliases]:
            if alias:
                self._by_key[(unit.jurisdiction, unit_key(alias))] = unit

    def fingerprint(self) -> str:
        return repr(sorted((k, u.unit_id, u.kind) for k, u in self._by_key.items()))

    def aliases_of(self, unit: Unit) -> list[str]:
        return sorted(
            {k for (j, k), u in self._by_key.items() if u == unit and j == unit.jurisdiction}
        )

    def resolve(self, raw: str, jurisdiction: str | None, issuer: str | None = None) -> Unit:
        """The unit a document means by ``raw``, given where the document was issued."""
        name = clean_unit_name(raw)
        place = jurisdiction or ""
        known = self._by_key.get((place, unit_key(name)))
        if known:
            return known
        return Unit(name=qualify(name, place, issuer), jurisdiction=place)

    def lookup(self, text: str) -> list[Unit]:
        """Registry units whose name or an alias is ``text`` (any jurisdiction)."""
        key = unit_key(clean_unit_name(text))
        return [u for (_, k), u in self._by_key.items() if k == key]


_PLACE_LEVEL = {"省": ("省", "自治区"), "市": ("市", "州", "盟"), "县": ("县",), "区": ("区",)}


def qualify(name: str, place: str, issuer: str | None = None) -> str:
    """Prefix a bare local name with its place: 市教育局 → 青岛市教育局, 局人事科 → 咸宁市教育局人事科."""
    if not place or name.startswith(place):
        return name
    if name.startswith("局") and issuer and issuer.endswith("局") and len(name) > 1:
        return issuer + name[1:]
    head = name[0]
    if head in _PLACE_LEVEL and len(name) > 2 and place.endswith(_PLACE_LEVEL[head]):
        return place + name[1:]
    return name
