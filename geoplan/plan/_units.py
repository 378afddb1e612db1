"""Responsible units: the names in a plan's units clause or table cell, lead first.

``（牵头单位：A，配合单位：B、C）`` gives A, B, C; ``(A牵头，B、C配合)`` likewise; a plain list
keeps its order. Names are split on 、 ， ； / outside brackets; 等 between a named unit and an
unnamed group (规划建设与交通运输局等区直有关单位) gives two units; a group naming one tier
(各区、县级市; 各乡镇党委和人民政府; 相关街镇) stays whole.
"""

from __future__ import annotations

import re

from . import _numbers as _num

_OTHER_ROLES = ("配合", "协办", "支撑", "参与", "协同", "协助")
_LEAD = re.compile(r"^(.+?)牵头(?:负责)?\s*[,、;]?\s*(.*)$")
_DUTY_SUFFIX = re.compile(
    r"(?:按(?:照)?职责(?:分工)?(?:负责|配合|落实)?|分工负责|配合实施|配合|参与|负责|等)\s*$"
)
# An administrative tier written after 各区、: it belongs to the group (各区、县级市).
_TIER = re.compile(
    r"^(?:县级市|县市|县|市|区|镇|乡|街道|街镇|乡镇|开发区)(?:人民政府|政府|党委|管委会|办事处)?$"
)
# The first tier of labels: 牵头 before 责任 before the rest (配合, 协办 …).
_FIRST = ("牵头", "主办", "主责")


def parse_units(norm: str, orig: str, start: int, end: int) -> list[str]:
    """Return the unit names of a units clause, lead first, as written.

    Role labels may stand anywhere and be separated by ； or ，: (牵头单位：A，配合单位：B、C)
    gives A, B, C. Without labels, "A牵头，B、C配合" gives A, B, C; a plain list keeps its order.

    Examples
    --------
    >>> clause = "牵头单位：区住建局，配合单位：区财政局、各区、县级市"
    >>> parse_units(_num.normalise(clause), clause, 0, len(clause))
    ['区住建局', '区财政局', '各区、县级市']
    """
    text = norm[start:end]
    roles = list(_ROLE_ANY.finditer(text))
    first_tier: list[str] = []
    lead: list[str] = []
    others: list[str] = []
    segments: list[tuple[int, int, str | None]] = []
    first = roles[0].start() if roles else len(text)
    if text[:first].strip(" ,;"):
        segments.append((start, start + first, None))
    for i, role in enumerate(roles):
        seg_end = roles[i + 1].start() if i + 1 < len(roles) else len(text)
        segments.append((start + role.end(), start + seg_end, role.group(1)))
    for a, b, label in segments:
        if label is not None and _DUE_LABEL.match(label):
            continue  # 完成时限：2024年12月底前 written in the clause: a date, not a unit
        if label is not None:
            names = split_names(norm, orig, a, b)
            if label.startswith(_FIRST):
                first_tier.extend(names)
            else:
                (others if label.startswith(_OTHER_ROLES) else lead).extend(names)
            continue
        for part in re.finditer(r"[^;]+", norm[a:b]):
            x, y = a + part.start(), a + part.end()
            led = _LEAD.match(norm[x:y])
            if led and not _MARKED_ANY.search(norm, x, y):  # 区住建局（牵头）、…: split_names
                lead += split_names(norm, orig, x + led.start(1), x + led.end(1))
                others += split_names(norm, orig, x + led.start(2), x + led.end(2))
            else:
                others += split_names(norm, orig, x, y)
    return list(dict.fromkeys(first_tier + lead + others))


_ROLE_ANY = re.compile(
    r"(责任单位|责任部门|牵头单位|牵头部门|主办单位|主责单位|推进单位|实施单位"
    r"|配合单位|配合部门|协办单位|支撑单位|参与单位|协同单位|协助单位"
    r"|牵头|配合|责任|主办|协办|完成时限|完成时间|时间节点|完成期限|时限要求|时间要求)"
    r"\s*(?::|为(?=\S))"
)
_DUE_LABEL = re.compile(r"完成|时间|时限")
_MARKED_ANY = re.compile(r"\(\s*牵头(?:单位|部门)?\s*\)")
# 区住建局（牵头）: the lead marked after its name
_MARKED_LEAD = re.compile(r"\s*\(\s*牵头(?:单位|部门)?\s*\)\s*$")
# split on 、 ， ； / only: a space inside a name (区发展 改革委, from a web page) is no break
_SPLIT_OR_BRACKET = re.compile(r"[、,;/]+|[(〔\[【)〕\]】]")
# 市政公司水务公司 (a 、 missing in the source): two names that end alike.
_GLUED = re.compile(r"^(.{2,}?(公司|局))(.{2,}\2)$")


def split_names(norm: str, orig: str, start: int, end: int) -> list[str]:
    """Split a list of unit names on 、 ， ； / (not inside brackets), as written."""
    spans: list[tuple[int, int]] = []
    depth = 0
    piece = start
    for m in _SPLIT_OR_BRACKET.finditer(norm, start, end):
        ch = m.group()[0]
        if ch in "(〔[【":
            depth += 1
        elif ch in ")〕]】":
            depth = max(0, depth - 1)
        elif depth == 0:
            spans.append((piece, m.start()))
            piece = m.end()
    spans.append((piece, end))
    names: list[str] = []
    marked: list[str] = []
    for a, b in spans:
        lead_mark = _MARKED_LEAD.search(norm, a, b)
        if lead_mark:
            b = lead_mark.start()
        while a < b and norm[a] in " 由和及与,":
            a += 1
        suffix = _DUTY_SUFFIX.search(norm, a, b)
        if suffix and suffix.start() > a:
            b = suffix.start()
        name = orig[a:b].strip().strip("。.:")
        if not name:
            continue
        if lead_mark:
            marked.append(name)
            continue
        # 规划建设与交通运输局等区直有关单位: a named unit and an unnamed group
        etc = re.match(r"^(.{2,}?)等((?:区直|市直|县直|各|其他|相关|有关).*)$", name)
        parts = [etc.group(1), etc.group(2)] if etc else [name]
        for part in parts:
            glued = _GLUED.match(part)
            for one in (glued.group(1), glued.group(3)) if glued else (part,):
                if (
                    names
                    and _TIER.match(_num.normalise(one))
                    and re.match(r"^(?:各|各有关|有关|相关)", _num.normalise(names[-1]))
                ):
                    names[-1] = f"{names[-1]}、{one}"  # 各区、县级市: one tier, kept whole
                else:
                    names.append(one)
    return marked + names
