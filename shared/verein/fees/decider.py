"""The fee-schedule decider: pure rules, no AWS. Its state is the ``FeeSchedule`` itself.

Rules: a version names at least one type (``fees.no_types``, 422), each code once
(``fees.duplicate_code``, 422). Setting a version for a day that has one replaces it. Setting
the very version that is there already is recorded too: deciding "nothing to do" on a state
that may be stale (a warm environment's head cache) would skip the conditional write that
proves the state current, so a rule never answers without writing.
"""

from __future__ import annotations

from collections.abc import Sequence

from verein.fees.commands import FeeCommand, SetFeeSchedule
from verein.fees.domain_events import FeeScheduleSet
from verein.fees.schedule import FeeSchedule, ScheduleVersion
from verein.kernel.decider import Decider
from verein.kernel.domain_events import DomainEvent
from verein.kernel.errors import DomainRuleViolated


def _set(command: SetFeeSchedule, state: FeeSchedule) -> Sequence[DomainEvent]:
    if not command.types:
        raise DomainRuleViolated("fees.no_types", status=422)
    codes = [t.code for t in command.types]
    if len(set(codes)) != len(codes):
        raise DomainRuleViolated("fees.duplicate_code", status=422)
    return [FeeScheduleSet(effective_from=command.effective_from, types=command.types)]


def _was_set(state: FeeSchedule, event: FeeScheduleSet) -> FeeSchedule:
    return state.with_version(
        ScheduleVersion(effective_from=event.effective_from, types=event.types)
    )


fee_decider: Decider[FeeCommand, FeeSchedule] = Decider(
    state_type=FeeSchedule,
    deciders={SetFeeSchedule: _set},
    evolvers={FeeScheduleSet: _was_set},
)
decide = fee_decider.decide
evolve = fee_decider.evolve
