"""Wording of the messages people receive (Chinese, as the offices write them). Plain Python, no I/O."""

from __future__ import annotations

from datetime import date

RULE_NAMES = {
    "not_updated": "内容不更新",
    "zombie": "僵尸/空壳账号",
    "interaction_off": "互动功能关闭",
    "message_unanswered": "留言未回复",
    "unreviewed_publication": "未审先发",
    "content_mismatch": "发布内容与审核版本不一致",
    "check_failed": "发布内容未通过机器检查",
    "override": "越过阻断性问题发布",
}
SEVERITY_NAMES = {"serious": "严重违规", "violation": "违规", "warning": "预警", "minor": "一般问题"}
ROLE_NAMES = {
    "liaison": "联络员",
    "deputy_head": "分管负责人",
    "principal": "主要负责人",
    "open_government_centre": "政务公开事务中心",
    "deputy_director": "主管单位分管副主任",
    "director": "主管单位主任",
}


def rule_name(rule: str) -> str:
    return RULE_NAMES.get(rule, rule)


def _d(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def notice(account: str, unit: str, rule: str, severity: str, rectify_by: date) -> tuple[str, str]:
    subject = f"【即时通报】{account}存在{SEVERITY_NAMES.get(severity, severity)}：{rule_name(rule)}"
    body = (
        f"{unit}：\n贵单位主办的政务新媒体“{account}”被监测发现{rule_name(rule)}问题。"
        f"请立即整改，并于{_d(rectify_by)}前提交经主要负责人签字并加盖公章的整改报告。"
    )
    return subject, body


def reminder(
    account: str, unit: str, rule: str, rectify_by: date, number: int, overdue: int
) -> tuple[str, str]:
    late = f"已逾期{overdue}天，" if overdue else ""
    subject = f"【督促整改】{account}：{rule_name(rule)}（第{number}次提醒）"
    body = (
        f"{unit}：\n“{account}”的{rule_name(rule)}问题尚未整改完毕，{late}"
        f"整改期限为{_d(rectify_by)}，请抓紧整改并提交整改报告。"
    )
    return subject, body


def escalation(account: str, unit: str, rule: str, rectify_by: date, overdue: int) -> tuple[str, str]:
    subject = f"【逾期未整改】{unit}“{account}”"
    body = (
        f"{unit}主办的“{account}”的{rule_name(rule)}问题整改期限为{_d(rectify_by)}，"
        f"已逾期{overdue}天，请督办。"
    )
    return subject, body


def report_submitted(account: str, unit: str, signed_by: str) -> tuple[str, str]:
    return (
        f"【整改报告】{unit}已提交“{account}”整改报告",
        f"{unit}提交了整改报告（{signed_by}签字，已加盖公章），请审核。",
    )


def report_returned(account: str, reason: str, rectify_by: date) -> tuple[str, str]:
    return f"【整改报告退回】“{account}”", f"整改报告被退回，原因：{reason}。请于{_d(rectify_by)}前重新提交。"


def report_accepted(account: str) -> tuple[str, str]:
    return f"【整改报告通过】“{account}”", "整改报告已审核通过，待监测复核后结案。"


def case_closed(account: str, on_time: bool, outcome: str) -> tuple[str, str]:
    how = "按期" if on_time else "逾期"
    what = "问题已撤销" if outcome == "dismissed" else f"{how}整改完成"
    return f"【结案】“{account}”", f"“{account}”的整改事项已结案：{what}。"


def interview(unit: str, count: int, interviewee: str, interviewer: str, when: str) -> tuple[str, str]:
    subject = f"【约谈通知】{unit}（本年度第{count}次违规警报）"
    body = f"{unit}本年度已出现{count}次违规警报，定于{when}由{interviewer}约谈{interviewee}。"
    return subject, body


def interview_cancelled(unit: str, count: int, counted: int, when: str) -> tuple[str, str]:
    subject = f"【约谈取消】{unit}（原定本年度第{count}次违规警报约谈）"
    body = f"因相关警报经核实为误报，{unit}本年度违规警报次数调整为{counted}次，原定于{when}的约谈取消。"
    return subject, body


def closure(account: str, unit: str, listings: int) -> tuple[str, str]:
    subject = f"【强制关停建议】{account}"
    body = f"{unit}主办的“{account}”因多次通知更新而未更新，已在季度检测中通报{listings}次，建议强制关停。"
    return subject, body


def digest(office: str, day: date, open_: int, overdue: int, opened: int, closed: int) -> tuple[str, str]:
    subject = f"【每日摘要】{office} {_d(day)}"
    body = f"截至{_d(day)}：在办整改事项{open_}件，其中逾期{overdue}件；昨日新增{opened}件，结案{closed}件。"
    return subject, body
