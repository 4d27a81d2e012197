"""The four experts of the panel, as SPEC.md §1 names them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Expert:
    """One member of the panel."""

    agent_id: str
    agent_name: str
    agent_role: str


STYLE_ANALYST = Expert("style_analyst", "스타일 분석가", "체형분석과 핏감을 중심으로 추천해드려요!")
TREND_EXPERT = Expert("trend_expert", "트렌드 전문가", "최신 트렌드를 반영해 추천해드려요!")
COLOR_EXPERT = Expert(
    "color_expert", "컬러 전문가", "피부톤에 어울리는 색상 조합을 바탕으로 추천해드려요!"
)
FITTING_COORDINATOR = Expert(
    "fitting_coordinator", "핏팅 코디네이터", "종합적으로 딱 하나의 추천을 해드려요!"
)

# Panel order: the specialists first (they run together), the coordinator last.
PANEL: tuple[Expert, ...] = (STYLE_ANALYST, TREND_EXPERT, COLOR_EXPERT, FITTING_COORDINATOR)
SPECIALISTS: tuple[Expert, ...] = PANEL[:3]
BY_ID: dict[str, Expert] = {expert.agent_id: expert for expert in PANEL}


class UnknownExpertError(ValueError):
    """A requested expert id is not on the panel."""


def choose_experts(expert_ids: list[str]) -> list[Expert]:
    """The requested experts in panel order; every expert when none is asked for."""
    unknown = [expert_id for expert_id in expert_ids if expert_id not in BY_ID]
    if unknown:
        raise UnknownExpertError(f"unknown expert id: {', '.join(unknown)}")
    wanted = set(expert_ids)
    return [expert for expert in PANEL if not wanted or expert.agent_id in wanted]
