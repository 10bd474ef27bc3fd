"""The case lifecycle as an explicit state machine: states, and per action who may do it, from where, to where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from backend.accounts.roles import Role


class State(str, Enum):
    NEW = "new"  # 待受理: a citizen report waiting for intake
    VERIFYING = "verifying"  # 核实中: a supervisor is asked to verify on site
    PENDING_FILING = "pending_filing"  # 待立案
    VOIDED = "voided"  # 已作废
    DUPLICATE = "duplicate"  # 已合并: linked to an open case
    PENDING_DISPATCH = "pending_dispatch"  # 待派遣
    DISPATCHED = "dispatched"  # 已派遣: waiting for the unit to accept
    HANDLING = "handling"  # 处置中
    RETURN_REQUESTED = "return_requested"  # 回退申请中
    EXTENSION_REQUESTED = "extension_requested"  # 延期申请中
    SUSPENSION_REQUESTED = "suspension_requested"  # 挂账申请中
    SUSPENDED = "suspended"  # 挂账
    CHECKING = "checking"  # 核查中: reported back, a supervisor checks on site
    PENDING_CLOSE = "pending_close"  # 待结案
    CLOSED = "closed"  # 已结案


STATE_NAMES: dict[State, tuple[str, str]] = {
    State.NEW: ("待受理", "New"),
    State.VERIFYING: ("核实中", "Verifying"),
    State.PENDING_FILING: ("待立案", "Awaiting filing"),
    State.VOIDED: ("已作废", "Voided"),
    State.DUPLICATE: ("已合并", "Merged as duplicate"),
    State.PENDING_DISPATCH: ("待派遣", "Awaiting dispatch"),
    State.DISPATCHED: ("已派遣", "Dispatched"),
    State.HANDLING: ("处置中", "Being handled"),
    State.RETURN_REQUESTED: ("回退待审", "Return requested"),
    State.EXTENSION_REQUESTED: ("延期待审", "Extension requested"),
    State.SUSPENSION_REQUESTED: ("挂账待审", "Suspension requested"),
    State.SUSPENDED: ("已挂账", "Suspended"),
    State.CHECKING: ("已处置待核查", "Handled, awaiting check"),
    State.PENDING_CLOSE: ("待结案", "Awaiting closing"),
    State.CLOSED: ("已结案", "Closed"),
}

TERMINAL = frozenset({State.VOIDED, State.DUPLICATE})
OPEN_STATES = frozenset(State) - TERMINAL - {State.CLOSED}
# States in which the case sits with a responsible unit (its inbox).
WITH_UNIT = frozenset(
    {
        State.DISPATCHED,
        State.HANDLING,
        State.RETURN_REQUESTED,
        State.EXTENSION_REQUESTED,
        State.SUSPENSION_REQUESTED,
        State.SUSPENDED,
    }
)
# States whose handling clock runs (suspension pauses it).
CLOCK_RUNNING = WITH_UNIT - {State.SUSPENDED}


class Owner(str, Enum):
    """Which cases of a role an actor may act on."""

    ANY = "any"  # any case, the role suffices
    UNIT = "unit"  # the case's responsible unit is the actor's unit
    REPORTER = "reporter"  # the actor reported the case
    SUPERVISOR = "supervisor"  # the actor is the supervisor assigned to the case's task


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State | None  # None: the result field decides (verify, check)
    roles: frozenset[Role]
    owner: Owner
    required: tuple[str, ...]
    name_zh: str
    name_en: str


def _t(
    action: str,
    sources: set[State],
    target: State | None,
    roles: set[Role],
    owner: Owner,
    required: tuple[str, ...],
    zh: str,
    en: str,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), owner, required, zh, en)


S, R, O = State, Role, Owner
_INTAKE = {S.NEW, S.VERIFYING, S.PENDING_FILING}
_CENTRE_INTAKE = {R.OPERATOR, R.SHIFT_LEAD}

TRANSITIONS: tuple[Transition, ...] = (
    _t("request_verify", {S.NEW}, S.VERIFYING, _CENTRE_INTAKE, O.ANY, (), "派发核实", "Ask a supervisor to verify"),
    _t("assign_supervisor", {S.VERIFYING, S.CHECKING}, None, _CENTRE_INTAKE | {R.DISPATCHER}, O.ANY,
       ("supervisor_id",), "改派监督员", "Reassign supervisor"),
    _t("verify", {S.VERIFYING}, S.PENDING_FILING, {R.SUPERVISOR}, O.SUPERVISOR, ("result", "photo_ids"),
       "核实", "Verify on site"),
    _t("accept_report", {S.NEW}, S.PENDING_FILING, _CENTRE_INTAKE, O.ANY, (), "受理", "Accept the report"),
    _t("reclassify", _INTAKE | {S.PENDING_DISPATCH}, None, _CENTRE_INTAKE | {R.DISPATCHER}, O.ANY,
       ("category_code",), "修改分类", "Change category"),
    _t("file", {S.PENDING_FILING}, S.PENDING_DISPATCH, {R.SHIFT_LEAD}, O.ANY, (), "立案", "File the case"),
    _t("void", _INTAKE, S.VOIDED, _CENTRE_INTAKE, O.ANY, ("reason",), "作废", "Void"),
    _t("link_duplicate", _INTAKE, S.DUPLICATE, _CENTRE_INTAKE, O.ANY, ("original_case_id",),
       "合并为重复案件", "Link as duplicate"),
    _t("dismiss_duplicate", _INTAKE | {S.PENDING_DISPATCH}, None, _CENTRE_INTAKE, O.ANY, (), "不是重复",
       "Not a duplicate"),
    _t("dispatch", {S.PENDING_DISPATCH}, S.DISPATCHED, {R.DISPATCHER}, O.ANY, (), "派遣", "Dispatch"),
    _t("accept", {S.DISPATCHED}, S.HANDLING, {R.UNIT_STAFF}, O.UNIT, (), "签收", "Accept the task"),
    _t("request_return", {S.DISPATCHED, S.HANDLING}, S.RETURN_REQUESTED, {R.UNIT_STAFF}, O.UNIT, ("reason",),
       "申请回退", "Request return"),
    _t("approve_return", {S.RETURN_REQUESTED}, S.PENDING_DISPATCH, {R.DISPATCHER}, O.ANY, (),
       "同意回退", "Approve return"),
    _t("reject_return", {S.RETURN_REQUESTED}, S.HANDLING, {R.DISPATCHER}, O.ANY, ("reason",),
       "驳回回退", "Reject return"),
    _t("request_extension", {S.HANDLING}, S.EXTENSION_REQUESTED, {R.UNIT_STAFF}, O.UNIT,
       ("reason", "extension_hours"), "申请延期", "Request extension"),
    _t("approve_extension", {S.EXTENSION_REQUESTED}, S.HANDLING, {R.DISPATCHER}, O.ANY, (),
       "同意延期", "Approve extension"),
    _t("reject_extension", {S.EXTENSION_REQUESTED}, S.HANDLING, {R.DISPATCHER}, O.ANY, ("reason",),
       "驳回延期", "Reject extension"),
    _t("request_suspension", {S.HANDLING}, S.SUSPENSION_REQUESTED, {R.UNIT_STAFF}, O.UNIT, ("reason",),
       "申请挂账", "Request suspension"),
    _t("approve_suspension", {S.SUSPENSION_REQUESTED}, S.SUSPENDED, {R.DISPATCHER}, O.ANY, (),
       "同意挂账", "Approve suspension"),
    _t("reject_suspension", {S.SUSPENSION_REQUESTED}, S.HANDLING, {R.DISPATCHER}, O.ANY, ("reason",),
       "驳回挂账", "Reject suspension"),
    _t("resume", {S.SUSPENDED}, S.HANDLING, {R.DISPATCHER}, O.ANY, (), "解除挂账", "Resume handling"),
    _t("report_back", {S.HANDLING}, S.CHECKING, {R.UNIT_STAFF}, O.UNIT, ("note", "photo_ids"),
       "处置反馈", "Report back"),
    _t("check", {S.CHECKING}, None, {R.SUPERVISOR}, O.SUPERVISOR, ("result", "photo_ids"), "核查", "Check on site"),
    _t("close", {S.PENDING_CLOSE}, S.CLOSED, {R.SHIFT_LEAD}, O.ANY, (), "结案", "Close"),
    _t("rate", {S.CLOSED}, S.CLOSED, set(Role), O.REPORTER, ("satisfied",), "评价", "Rate the result"),
    _t("reopen", {S.CLOSED}, S.PENDING_DISPATCH, set(Role), O.REPORTER, ("reason",), "重新打开", "Reopen"),
)

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}

# Results that decide the target of verify and check.
RESULT_TARGETS: dict[str, dict[str, State]] = {
    "verify": {"confirmed": State.PENDING_FILING, "not_confirmed": State.PENDING_FILING},
    "check": {"pass": State.PENDING_CLOSE, "fail": State.DISPATCHED},
}


def state_name(state: str, lang: str = "zh") -> str:
    zh, en = STATE_NAMES[State(state)]
    return zh if lang == "zh" else en
