"""State machines declared on the models (issue 16, item 2): one style for every status column.

A model says, next to its columns, which moves its status has (`moves`: from -> the statuses it may
go to) and who makes each move (`movers`: target -> roles, or a callable when the answer depends on
the row, e.g. "the posting's own enterprise"). Pages, API and services all ask that one declaration,
so a button is shown exactly when the service would accept the move.

`transition` makes a move with a compare-and-set UPDATE (`... WHERE id = :id AND status = :current`):
of two requests that read the same status, one wins and the other gets a 409, never a silent overwrite.
It then records what the model declared for every move — its event row (`event`) and its audit row
(`audit_action`) — in the same unit of work (core/unit_of_work.py), which commits once.
The kernel knows no domain: the status words in messages come from the model's `words` callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from base_ops.core import audit
from base_ops.core.errors import Conflict, PermissionDenied
from base_ops.core.unit_of_work import before_first_write
from base_ops.extensions import db

Movers = Mapping[str, frozenset] | Callable[[object, object, str], bool]


def invalid_transition(current: str, target: str) -> Conflict:
    """409 invalid_transition naming both statuses (already put in words by the caller)."""
    return Conflict(_("Cannot go from %(current)s to %(target)s.", current=current, target=target),
                    code="invalid_transition", extra={"from": current, "to": target})


def _not_yours() -> PermissionDenied:
    return PermissionDenied(_("This move is not yours to make."), fields={"status": [_("not permitted")]})


class StateMachine:
    """The moves of one status column and who may make them.

    moves:   {from: frozenset(to)}; a status missing from the keys has no moves.
    movers:  {to: frozenset(roles)}, or a callable (actor, instance, target) -> bool.
    words:   status -> the word shown in messages (the translated label).
    refused: builds the 403 for a move that is not the actor's.
    moved_first: the message of the 409 when a compare-and-set finds the status changed (names the thing).
    event:   (actor, instance, previous, target) -> adds the model's event row for a move, or None.
    audit_action: the audit log's action for a move (details: previous, status): a name, a callable
             (previous, target) -> name where each move has its own (claim_submitted, claim_approved…), or None.
    """

    def __init__(self, *, moves: Mapping[str, frozenset], movers: Movers, moved_first: Callable[[], str],
                 words: Callable[[str], str] = str, refused: Callable[[], PermissionDenied] = _not_yours,
                 event: Callable[[object, object, str | None, str], object] | None = None,
                 audit_action: str | Callable[[str | None, str], str] | None = None):
        self.moves = dict(moves)
        self.movers = movers
        self.words = words
        self.refused = refused
        self.moved_first = moved_first
        self.event = event
        self.audit_action = audit_action
        self._order = list(self.moves)

    def allowed(self, current: str, target: str) -> bool:
        """Whether the table has the move, whoever asks."""
        return target in self.moves.get(current, frozenset())

    def may(self, actor, current: str, target: str, *, instance=None) -> bool:
        """Whether the move exists and is this actor's to make."""
        return self.allowed(current, target) and self.is_mover(actor, target, instance=instance)

    def is_mover(self, actor, target: str, *, instance=None) -> bool:
        """Whether the actor makes moves to `target`, the table aside."""
        if actor is None:
            return False
        if callable(self.movers):
            return bool(self.movers(actor, instance, target))
        return actor.role in self.movers.get(target, frozenset())

    def moves_for(self, actor, current: str, *, instance=None) -> list:
        """The moves this actor may make from `current`, in the order the statuses are declared."""
        targets = [t for t in self.moves.get(current, frozenset()) if self.is_mover(actor, t, instance=instance)]
        return sorted(targets, key=lambda t: self._order.index(t) if t in self._order else len(self._order))

    def require(self, actor, current: str, target: str, *, instance=None) -> None:
        """409 invalid_transition for a move the table lacks, then 403 for a move not the actor's."""
        if not self.allowed(current, target):
            raise invalid_transition(self.words(current), self.words(target))
        self.require_mover(actor, target, instance=instance)

    def require_mover(self, actor, target: str, *, instance=None) -> None:
        """403 unless the actor makes this move; a service calls it first where "not yours" comes before
        "no such move" (postings: another enterprise learns nothing of the posting's status)."""
        if not self.is_mover(actor, target, instance=instance):
            raise self.refused()


def compare_and_set(model, row_id: int, expected, target, *, column: str = "status",
                    values: Mapping[str, object] | None = None) -> bool:
    """UPDATE model SET column = target [, values] WHERE id = row_id AND column = expected, in the
    caller's unit of work (no commit). False when someone else changed the column first.
    `expected=None` compares with IS NULL (e.g. a stay still open: discharged_on IS NULL)."""
    result = db.session.execute(
        update(model).where(model.id == row_id, getattr(model, column).is_(None) if expected is None
                            else getattr(model, column) == expected)
        .values({column: target, **(values or {})}).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def transition(instance, target, *, actor, column: str = "status", expected=None,
               values: Mapping[str, object] | None = None, details: Mapping[str, object] | None = None) -> None:
    """Move `instance` to `target` as the model's `transitions` allow, with a compare-and-set UPDATE.

    409 invalid_transition for a move the table lacks, 403 for a move not the actor's, 409
    invalid_transition when the row's status is no longer `expected` (default: the status the
    instance was read with). `values` are further columns set by the same UPDATE (who decided, when).
    Then the model's event row and audit row (with `details`) are added. No commit: the use case's
    unit of work commits once, and rolls everything back on a lost race.

    On SQLite the read snapshot is ended after the checks and right before the UPDATE when nothing
    has been written yet: the write then waits for a racing write's lock instead of failing at once
    with "database is locked", and the compare-and-set decides.
    """
    machine: StateMachine = type(instance).transitions
    current = expected if expected is not None else getattr(instance, column)
    machine.require(actor, current, target, instance=instance)
    row_id = instance.id  # read before the snapshot ends: after it, nothing is read before the UPDATE
    before_first_write()
    previous = getattr(current, "value", current)
    status = getattr(target, "value", target)
    if not compare_and_set(type(instance), row_id, current, target, column=column, values=values):
        # docs/api.md: every 409 invalid_transition names the state read and the state asked for
        raise Conflict(machine.moved_first(), code="invalid_transition", extra={"from": previous, "to": status})
    # the instance now says what the row says (without marking it changed)
    set_committed_value(instance, column, target)
    for name, value in (values or {}).items():
        set_committed_value(instance, name, value)
    if machine.event is not None:
        machine.event(actor, instance, previous, status)
    if machine.audit_action is not None:
        action = machine.audit_action(previous, status) if callable(machine.audit_action) else machine.audit_action
        audit.record(actor, action, instance, previous=previous, status=status, **(details or {}))
