"""The catalogue of layer kinds, as data.

Each :class:`LayerKind` names its geometry, its columns (type, whether required, allowed
values with their Chinese labels) and the plan tasks it serves. Validation
(:mod:`geoplan.layers._validate`), the sample generator and the documentation in
``layers/README.md`` all read this one table; ``docs/architecture.md`` ("Layer kinds") is
the contract it implements.

Column types
    ``str``, ``int``, ``float``, ``bool``, ``date`` (``datetime64[ms]``, ``NaT`` when
    unknown), ``status`` (the shared vocabulary in :data:`STATUS_LABELS`) and ``enum``
    (a column-specific vocabulary in :attr:`Column.values`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ._common.labels import KIND_LABELS, WORK_STATUS_LABELS

ColumnType = Literal["str", "int", "float", "bool", "date", "status", "enum"]
GeometryFamily = Literal["Polygon", "LineString", "Point"]

#: The shared status vocabulary and its display labels (one table, in geoplan._common.labels).
STATUS_LABELS: dict[str, str] = WORK_STATUS_LABELS

#: Other ways people write a status, mapped to the vocabulary (labels are accepted too).
STATUS_ALIASES: dict[str, str] = {
    "规划": "planned",
    "拟建": "planned",
    "未开工": "planned",
    "待建": "planned",
    "施工中": "under_construction",
    "建设中": "under_construction",
    "在建中": "under_construction",
    "完成": "completed",
    "已建成": "completed",
    "建成": "completed",
    "已完工": "completed",
    "done": "completed",
}

#: The geometry types each family accepts.
GEOMETRY_TYPES: dict[str, tuple[str, ...]] = {
    "Polygon": ("Polygon", "MultiPolygon"),
    "LineString": ("LineString", "MultiLineString"),
    "Point": ("Point",),
}

#: How people write true and false in a spreadsheet, mapped to bool.
BOOL_WORDS: dict[str, bool] = {
    "true": True,
    "false": False,
    "t": True,
    "f": False,
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "1": True,
    "0": False,
    "1.0": True,
    "0.0": False,
    "是": True,
    "否": False,
    "有": True,
    "无": False,
    "已": True,
    "未": False,
}


@dataclass(frozen=True)
class Column:
    """One column of a layer kind.

    Attributes
    ----------
    name
        The column name geoplan uses (ASCII, snake_case).
    type
        One of the column types in the module docstring.
    label
        The Chinese label shown in reports; also accepted as a header on input.
    required
        A layer without this column is an error; an optional column that is missing is
        added, empty, and reported as info.
    values
        For ``enum`` and ``status`` columns: allowed value -> Chinese label. The labels
        are accepted on input and mapped to the value.
    description
        One line for the documentation.
    aliases
        Other headers accepted on input (besides ``label``).
    """

    name: str
    type: ColumnType
    label: str
    required: bool = False
    values: dict[str, str] = field(default_factory=dict)
    description: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerKind:
    """A kind of layer: its geometry, columns and the plan tasks it serves.

    ``footprints`` marks building-like point kinds (farmhouses) whose features may also
    be Polygon/MultiPolygon footprints, as surveys deliver them: kept as drawn, and
    represented by a point on their surface where a metric needs a point.
    :func:`geometry_types` is the one place that says which types a kind accepts.
    """

    name: str
    label: str
    geometry: GeometryFamily
    columns: tuple[Column, ...]
    tasks: tuple[int, ...]
    description: str
    footprints: bool = False

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if the kind has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def required(self) -> list[str]:
        """Names of the required columns."""
        return [c.name for c in self.columns if c.required]


def _status(name: str, label: str, description: str, *, required: bool = False) -> Column:
    return Column(name, "status", label, required, dict(STATUS_LABELS), description)


_COMMON = (
    Column(
        "id",
        "str",
        "编号",
        True,
        description="stable id, unique within the layer",
        aliases=("ID", "编码", "代码"),
    ),
    Column(
        "name",
        "str",
        "名称",
        True,
        description="the Chinese name as people write it",
        aliases=("名字",),
    ),
    Column(
        "task_ids",
        "str",
        "任务编号",
        False,
        description='plan task numbers the feature serves, comma-separated ("17,18")',
        aliases=("任务",),
    ),
)
_TOWN = Column("town_id", "str", "所属乡镇", description="id of the town (towns.id)")
_VILLAGE = Column("village_id", "str", "所属村", description="id of the village (villages.id)")

STATUS_COLUMN_HELP = "status vocabulary: " + ", ".join(f"{k} {v}" for k, v in STATUS_LABELS.items())

LAYER_KINDS: dict[str, LayerKind] = {
    k.name: k
    for k in (
        LayerKind(
            "towns",
            KIND_LABELS["towns"],
            "Polygon",
            (
                *_COMMON,
                Column("population", "int", "人口", description="resident population"),
            ),
            (17, 18, 19, 32),
            "the four towns of the zone",
        ),
        LayerKind(
            "districts",
            KIND_LABELS["districts"],
            "Polygon",
            (
                *_COMMON,
                _TOWN,
            ),
            (31,),
            "the renewal districts 海江片区, 高铁片区, 湖东片区",
        ),
        LayerKind(
            "communities",
            KIND_LABELS["communities"],
            "Polygon",
            (
                *_COMMON,
                _TOWN,
                Column("built_year", "int", "建成年份", description="year the estate was built"),
                Column(
                    "is_old_community",
                    "bool",
                    "老旧小区",
                    description="listed for old-community renovation (e.g. 海尾小区)",
                ),
                Column(
                    "property_managed", "bool", "物业管理", description="has property management"
                ),
                _status(
                    "renovation_status",
                    "改造状态",
                    "old-community renovation or 补短板 project (task 5)",
                ),
                Column(
                    "renovation_date",
                    "date",
                    "改造完成日期",
                    description="date the renovation was completed",
                ),
            ),
            (4, 5, 32),
            "residential estates: the old community 海尾小区 and 2000–2010 estates",
        ),
        LayerKind(
            "villages",
            KIND_LABELS["villages"],
            "Polygon",
            (
                *_COMMON,
                _TOWN,
                Column(
                    "plan_approved_date",
                    "date",
                    "村庄规划批复日期",
                    description="村庄规划 approved (task 17)",
                ),
                Column("green_village", "bool", "绿盈乡村", description="rated 绿盈乡村 (task 22)"),
                Column(
                    "green_village_date", "date", "绿盈乡村日期", description="date rated 绿盈乡村"
                ),
                Column(
                    "demonstration", "bool", "示范村", description="示范村 for farmhouses (task 18)"
                ),
                Column("farmhouse_count", "int", "农房数", description="existing farmhouses"),
            ),
            (17, 18, 22),
            "administrative villages",
        ),
        LayerKind(
            "greenways",
            KIND_LABELS["greenways"],
            "LineString",
            (
                *_COMMON,
                _TOWN,
                _status("status", "状态", "greenway construction status", required=True),
                Column("completed_date", "date", "建成日期", description="date the segment opened"),
            ),
            (9,),
            "greenway (福道) segments",
        ),
        LayerKind(
            "water_sources",
            KIND_LABELS["water_sources"],
            "Point",
            (
                *_COMMON,
                _VILLAGE,
                _TOWN,
                Column(
                    "source_type",
                    "enum",
                    "水源类型",
                    True,
                    {"river": "河流", "reservoir": "水库", "lake": "湖泊", "groundwater": "地下水"},
                    "kind of water body",
                ),
                Column(
                    "scale",
                    "enum",
                    "规模",
                    True,
                    {"centralized": "千人以上集中式", "dispersed": "分散式"},
                    "千人以上集中式 (serves ≥ 1000 people) or 分散式",
                    aliases=("水源规模",),
                ),
                Column("people_served", "int", "供水人口", description="people served"),
                Column(
                    "reservoir_size",
                    "enum",
                    "水库规模",
                    values={"small": "小型", "medium": "中型", "large": "大型"},
                    description="for reservoirs and lakes (HJ 338-2018 zone sizes)",
                ),
                Column(
                    "aquifer",
                    "enum",
                    "含水层",
                    values={"pore": "孔隙水", "fissure": "裂隙水", "karst": "岩溶水"},
                    description="for groundwater wells",
                ),
                Column(
                    "zone_delineated", "bool", "保护区已划定", description="protection zone drawn"
                ),
                Column("zone_date", "date", "划定日期", description="date the zone was approved"),
                Column(
                    "markers_installed",
                    "bool",
                    "界标已设立",
                    description="boundary markers (界标) installed",
                ),
                Column(
                    "markers_date", "date", "界标设立日期", description="date markers installed"
                ),
                _status("remediation_status", "整治状态", "生态环境整治 of the source (task 21)"),
                Column(
                    "remediation_date",
                    "date",
                    "整治完成日期",
                    description="date the remediation was completed",
                ),
            ),
            (20, 21),
            "drinking-water sources",
        ),
        LayerKind(
            "protection_zones",
            KIND_LABELS["protection_zones"],
            "Polygon",
            (
                *_COMMON,
                Column(
                    "source_id",
                    "str",
                    "水源编号",
                    True,
                    description="id of the water source (water_sources.id)",
                ),
                Column(
                    "level",
                    "enum",
                    "级别",
                    True,
                    {"level1": "一级", "level2": "二级", "quasi": "准保护区"},
                    "protection level",
                    aliases=("保护级别",),
                ),
                Column("delineated_date", "date", "划定日期", description="date approved"),
                Column("draft", "bool", "草案", description="drawn but not yet approved"),
            ),
            (21,),
            "drinking-water source protection zones",
        ),
        LayerKind(
            "parks",
            KIND_LABELS["parks"],
            "Polygon",
            (
                *_COMMON,
                _TOWN,
                Column("opened_date", "date", "开放日期", description="date the park opened"),
            ),
            (9,),
            "parks and green spaces (area from the geometry)",
        ),
        LayerKind(
            "residential_land",
            KIND_LABELS["residential_land"],
            "Polygon",
            (
                *_COMMON,
                _TOWN,
            ),
            (4, 9),
            "residential land parcels (居住用地)",
        ),
        LayerKind(
            "farmhouses",
            KIND_LABELS["farmhouses"],
            "Point",
            (
                *_COMMON,
                _VILLAGE,
                _TOWN,
                _status("renovation_status", "整治状态", "既有农房整治 status (task 18)"),
                Column(
                    "renovation_date",
                    "date",
                    "整治完成日期",
                    description="date the renovation was completed",
                ),
            ),
            (17, 18),
            "existing farmhouses (points or footprints)",
            footprints=True,
        ),
        LayerKind(
            "heritage_sites",
            KIND_LABELS["heritage_sites"],
            "Point",
            (
                *_COMMON,
                _TOWN,
                Column(
                    "heritage_type",
                    "enum",
                    "类型",
                    True,
                    {"cultural_relic": "文物", "historic_building": "历史建筑"},
                    "heritage type",
                ),
                Column(
                    "protection_level",
                    "enum",
                    "保护级别",
                    values={
                        "national": "全国重点",
                        "provincial": "省级",
                        "municipal": "市级",
                        "district": "区级",
                        "unranked": "未定级",
                    },
                    description="protection level",
                ),
                _status(
                    "wiring_status",
                    "电气线路套管状态",
                    "电气线路套管 and 智慧用电 (task 16, by 2022)",
                ),
                Column("wiring_date", "date", "套管完成日期", description="date wiring completed"),
                _status("fire_safety_status", "三防状态", "三防 works (task 16, by 2025)"),
                Column(
                    "fire_safety_date", "date", "三防完成日期", description="date 三防 completed"
                ),
            ),
            (14, 15, 16),
            "cultural relics (文物) and historic buildings (历史建筑), points or footprints",
            footprints=True,
        ),
        LayerKind(
            "sewage_lines",
            KIND_LABELS["sewage_lines"],
            "LineString",
            (
                *_COMMON,
                _TOWN,
                _status("status", "状态", "construction status", required=True),
                Column("completed_date", "date", "建成日期", description="date completed"),
            ),
            (8, 20),
            "sewage network",
        ),
        LayerKind(
            "sewage_facilities",
            KIND_LABELS["sewage_facilities"],
            "Point",
            (
                *_COMMON,
                _VILLAGE,
                _TOWN,
                Column(
                    "facility_type",
                    "enum",
                    "设施类型",
                    True,
                    {"plant": "污水处理厂", "station": "泵站", "village_facility": "村级处理设施"},
                    "facility type",
                ),
                Column("capacity_m3d", "float", "处理能力(m³/d)", description="capacity, m³/day"),
                _status("status", "状态", "construction status"),
                Column(
                    "packaged",
                    "bool",
                    "打包运营",
                    description="in the unified 打包 operation (task 20)",
                ),
                Column("packaged_date", "date", "打包日期", description="date packaged"),
            ),
            (8, 20),
            "sewage plants, pumping stations and village facilities",
        ),
        LayerKind(
            "projects",
            KIND_LABELS["projects"],
            "Polygon",
            (
                *_COMMON,
                Column("district_id", "str", "所属片区", description="id of the district"),
                Column(
                    "project_type",
                    "enum",
                    "项目类型",
                    values={
                        "road": "道路",
                        "housing": "住房",
                        "park": "公园绿地",
                        "utilities": "市政管网",
                        "public_facility": "公共服务设施",
                        "renewal": "城市更新",
                    },
                    description="project type",
                ),
                _status("status", "状态", "project status", required=True),
                Column("start_date", "date", "开工日期", description="construction start"),
                Column("completed_date", "date", "竣工日期", description="completion"),
            ),
            (31,),
            "construction projects in the three districts",
        ),
    )
}

#: The progress log (台账) as catalogue data, like the layer kinds: the columns every record
#: has, in contract order. ``geoplan.records`` reads files by these labels and aliases, and
#: ``geoplan.store`` declares its ``records`` table from them.
RECORD_FIELDS: tuple[Column, ...] = (
    Column("record_id", "str", "记录编号", aliases=("记录号", "序号")),
    Column("task_id", "int", "任务编号", True, aliases=("任务号", "任务")),
    Column("layer", "str", "图层", aliases=("图层类型", "kind")),
    Column("feature_id", "str", "要素编号", aliases=("要素id",)),
    Column("date", "date", "日期", True, aliases=("完成日期",)),
    Column("status", "status", "状态", True, dict(STATUS_LABELS)),
    Column("quantity", "float", "数量", aliases=("工程量",)),
    Column("unit", "str", "单位"),
    Column("note", "str", "备注", aliases=("说明",)),
    Column("lon", "float", "经度", aliases=("lng", "longitude")),
    Column("lat", "float", "纬度", aliases=("latitude",)),
)

#: A ledger's own columns, kept after the record columns when a file has them: the target
#: (目标编号 ``9-1``, stored as ``target_index`` 0), who reported, the town and the name of
#: the piece of work.
LEDGER_FIELDS: tuple[Column, ...] = (
    Column(
        "target_index",
        "int",
        "目标编号",
        aliases=("目标", "目标序号", "target"),
        description="written as task-target (9-1), stored as the target's 0-based index",
    ),
    Column("reporter", "str", "填报单位", aliases=("报送单位", "责任单位", "reporter")),
    Column("town", "str", "乡镇", aliases=("所在乡镇", "乡镇（街道）", "town")),
    Column("name", "str", "项目名称", aliases=("工作内容", "名称", "name")),
)

#: The table of the progress log in a GeoPackage or database; never read as a layer.
RECORDS_TABLE = "records"


#: Kind names in catalogue order.
KIND_NAMES: tuple[str, ...] = tuple(LAYER_KINDS)

#: Yes/no columns and the date that goes with them (a date with ``False`` is a warning).
FLAG_DATES: dict[str, str] = {
    "zone_delineated": "zone_date",
    "markers_installed": "markers_date",
    "packaged": "packaged_date",
    "green_village": "green_village_date",
}

#: Columns that refer to another layer's ids: (kind, column) -> referenced kind.
REFERENCES: dict[tuple[str, str], str] = {
    (kind.name, col): target
    for kind in LAYER_KINDS.values()
    for col, target in (
        ("town_id", "towns"),
        ("village_id", "villages"),
        ("source_id", "water_sources"),
        ("district_id", "districts"),
    )
    if any(c.name == col for c in kind.columns)
}


#: Other Chinese names a layer or file of a kind is often given (the labels are accepted too).
KIND_ALIASES: dict[str, str] = {
    "村": "villages",
    "行政村": "villages",
    "福道": "greenways",
    "绿道": "greenways",
    "文物及历史建筑": "heritage_sites",
    "文物": "heritage_sites",
    "水源地": "water_sources",
    "社区": "communities",
}


def geometry_types(kind: LayerKind | str) -> tuple[str, ...]:
    """The geometry types a layer kind accepts (its family's, plus footprints).

    Examples
    --------
    >>> geometry_types("farmhouses")
    ('Point', 'Polygon', 'MultiPolygon')
    >>> geometry_types("greenways")
    ('LineString', 'MultiLineString')
    """
    spec = LAYER_KINDS[kind] if isinstance(kind, str) else kind
    types = GEOMETRY_TYPES[spec.geometry]
    return types + GEOMETRY_TYPES["Polygon"] if spec.footprints else types


def kind_for_name(name: str) -> str | None:
    """Return the kind a layer or file called ``name`` holds, or ``None``.

    Accepts the kind itself in any case (``Greenways``), the Chinese label
    (``福道（绿道）``) and the common short names in :data:`KIND_ALIASES` (``福道``, ``村``).
    """
    key = name.strip()
    if key.lower() in LAYER_KINDS:
        return key.lower()
    for kind in LAYER_KINDS.values():
        if kind.label == key:
            return kind.name
    return KIND_ALIASES.get(key)
