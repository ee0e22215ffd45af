"""Who does what: the tasks of a unit (责任单位) or of a lead official (牵头领导), by document."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from indexer.storage.store import ClauseRecord, Store


@dataclass
class Task:
    task_no: int | None
    title: str
    doc_number: str | None
    clause_id: str
    path: list[str]
    lead: list[str]
    units: list[str]
    role: str = ""  # the unit's role in it: lead / responsible / cooperating
    text: str = ""  # the task's clause


@dataclass
class TaskGroup:
    """Tasks of one document: units of different jurisdictions are never merged."""

    doc_id: str
    doc_number: str | None
    doc_title: str
    unit: str | None  # the unit's canonical name in this document's jurisdiction
    tasks: list[Task] = field(default_factory=list)


@dataclass
class Duties:
    query: str
    kind: str  # unit / leader
    matched: list[str]  # canonical unit names or the official's name
    groups: list[TaskGroup]

    @property
    def tasks(self) -> list[Task]:
        return [task for group in self.groups for task in group.tasks]

    def to_dict(self) -> dict:
        return asdict(self) | {"tasks": [asdict(t) for t in self.tasks]}


def _task(clause: ClauseRecord, role: str = "") -> Task:
    return Task(
        clause.task_no,
        clause.title,
        clause.doc_number or clause.doc_title,
        clause.clause_id,
        clause.path,
        clause.leads,
        clause.units,
        role,
        clause.text,
    )


def _group(clauses: list[ClauseRecord], role_of: dict[str, str] | None = None) -> list[TaskGroup]:
    groups: dict[str, TaskGroup] = {}
    for clause in clauses:
        unit = next((name for name in clause.units if role_of and name in role_of), None)
        group = groups.setdefault(
            clause.doc_id, TaskGroup(clause.doc_id, clause.doc_number, clause.doc_title, unit)
        )
        group.tasks.append(_task(clause, clause.unit_roles.get(unit, "") if unit else ""))
    return list(groups.values())


def unit_duties(store: Store, unit_text: str, doc_id: str | None = None) -> Duties:
    """Tasks naming the unit ``unit_text`` (canonical name or alias) as lead, responsible or cooperating."""
    units = store.units_matching(unit_text)
    return duties_of(store, unit_text, {u["unit_id"]: u["name"] for u in units}, doc_id)


def duties_of(store: Store, query: str, units: dict[str, str], doc_id: str | None = None) -> Duties:
    """Tasks naming any of ``units`` (unit_id → canonical name), grouped by document."""
    clauses = store.duties_of_units(list(units), doc_id)
    names = {name: unit_id for unit_id, name in units.items()}
    return Duties(query, "unit", list(names), _group(clauses, names))


def leader_duties(store: Store, person: str, doc_id: str | None = None) -> Duties:
    """Tasks that official ``person`` leads (牵头领导)."""
    clauses = store.duties_of_leader(person, doc_id)
    return Duties(person, "leader", [person] if clauses else [], _group(clauses))
