"""The unit of work (base_ops.core.unit_of_work): one commit per use case, nested units compose, any error
rolls everything back, and a violated constraint reaches the caller as a domain error found by the
constraint's name (or its table's) on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from base_ops.core import unit_of_work as uow
from base_ops.core.errors import Conflict, ValidationFailed
from base_ops.org.models import Region, Room


class RoomNameTaken(Conflict):
    code = "room_name_taken"


def _room_names(db, base_id):
    return set(db.session.scalars(select(Room.name).where(Room.base_id == base_id)))


def test_the_outermost_unit_commits_once_and_nested_units_join_it(world, db, monkeypatch):
    commits = []
    real_commit = db.session.commit
    monkeypatch.setattr(db.session, "commit", lambda: (commits.append(1), real_commit())[1])
    with uow.unit_of_work():
        before = len(commits)  # on SQLite the unit may first end a read-only transaction
        db.session.add(Room(base_id=world.base_a.id, name="UOW-1", sex="male"))
        with uow.unit_of_work():
            db.session.add(Room(base_id=world.base_a.id, name="UOW-2", sex="male"))
            assert uow.in_unit_of_work()
        assert len(commits) == before  # the nested unit did not commit
    assert len(commits) == before + 1
    assert {"UOW-1", "UOW-2"} <= _room_names(db, world.base_a.id)
    assert not uow.in_unit_of_work()


def test_any_error_rolls_back_the_whole_unit_including_nested_work(world, db):
    with pytest.raises(ValidationFailed), uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-GONE-1", sex="male"))
        with uow.unit_of_work():
            db.session.add(Room(base_id=world.base_a.id, name="UOW-GONE-2", sex="male"))
            db.session.flush()
        raise ValidationFailed.on("name", "refused")
    assert not {"UOW-GONE-1", "UOW-GONE-2"} & _room_names(db, world.base_a.id)


def test_a_unique_violation_becomes_the_domain_error_registered_for_its_constraint(world, db):
    with uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-SAME", sex="male"))
    conflicts = {"uq_rooms_base_id_name": lambda: RoomNameTaken("A room of this name exists.")}
    with pytest.raises(RoomNameTaken), uow.unit_of_work(conflicts=conflicts):
        db.session.add(Room(base_id=world.base_a.id, name="UOW-SAME", sex="male"))
    assert _room_names(db, world.base_a.id) >= {"UOW-SAME"}


def test_the_table_name_serves_when_no_constraint_is_registered(world, db):
    with uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-TABLE", sex="male"))
    with pytest.raises(RoomNameTaken), uow.unit_of_work(conflicts={"rooms": lambda: RoomNameTaken("taken")}):
        db.session.add(Room(base_id=world.base_a.id, name="UOW-TABLE", sex="male"))


def test_a_check_constraint_is_found_by_its_name(db):
    conflicts = {"ck_regions_code_six_digits": lambda: ValidationFailed.on("code", "six digits")}
    with pytest.raises(ValidationFailed) as error, uow.unit_of_work(conflicts=conflicts):
        db.session.add(Region(code="12345", name="坏编码", level="county"))
    assert error.value.fields == {"code": ["six digits"]}


def test_registered_constraints_apply_everywhere_and_unknown_violations_stay_errors(world, db, monkeypatch):
    with uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-REG", sex="male"))
    monkeypatch.setitem(uow._CONSTRAINT_ERRORS, "uq_rooms_base_id_name", lambda: RoomNameTaken("taken"))
    with pytest.raises(RoomNameTaken), uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-REG", sex="male"))
    monkeypatch.delitem(uow._CONSTRAINT_ERRORS, "uq_rooms_base_id_name")
    with pytest.raises(IntegrityError), uow.unit_of_work():  # nobody said what it means: a bug, not a 409
        db.session.add(Room(base_id=world.base_a.id, name="UOW-REG", sex="male"))


def test_flush_maps_the_violation_at_once_and_the_unit_rolls_back(world, db):
    with uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-FLUSH", sex="male"))
    conflicts = {"uq_rooms_base_id_name": lambda: RoomNameTaken("taken")}
    with pytest.raises(RoomNameTaken), uow.unit_of_work():
        db.session.add(Room(base_id=world.base_a.id, name="UOW-FLUSH-OTHER", sex="male"))
        uow.flush()
        db.session.add(Room(base_id=world.base_a.id, name="UOW-FLUSH", sex="male"))
        uow.flush(conflicts=conflicts)
    assert "UOW-FLUSH-OTHER" not in _room_names(db, world.base_a.id)


def test_a_busy_database_is_a_conflict_to_retry(db):
    class Locked(Exception):
        def __str__(self):
            return "database is locked"

    with pytest.raises(Conflict) as error, uow.unit_of_work():
        raise OperationalError("UPDATE beds", {}, Locked())
    assert error.value.code == "busy"

    class Mine(Conflict):
        code = "bed_unavailable"

    with pytest.raises(Mine), uow.unit_of_work(on_busy=lambda: Mine("try again")):
        raise OperationalError("UPDATE beds", {}, Locked())


def test_use_case_decorator_runs_the_function_in_a_unit(world, db):
    @uow.use_case(conflicts={"uq_rooms_base_id_name": lambda: RoomNameTaken("taken")})
    def add_room(name):
        assert uow.in_unit_of_work()
        db.session.add(Room(base_id=world.base_a.id, name=name, sex="male"))

    add_room("UOW-DECORATED")
    assert "UOW-DECORATED" in _room_names(db, world.base_a.id)
    with pytest.raises(RoomNameTaken):
        add_room("UOW-DECORATED")


def test_only_the_unit_of_work_commits_or_rolls_back():
    """issue 16 "Done when": no service, view or job commits or rolls back by itself."""
    import re
    from pathlib import Path

    package = Path(uow.__file__).resolve().parents[1]
    pattern = re.compile(r"\b(commit|rollback)\(\)")
    offenders = [f"{path.relative_to(package.parent)}:{number}"
                 for path in sorted(package.rglob("*.py")) if path.name != "unit_of_work.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []
