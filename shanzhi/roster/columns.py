"""The roster file format: its columns, the words counties write in them, and how a cell
that looks like a formula is kept as text.

One row per resident. Headers are matched in Chinese (as counties write them) or in
English, in any order; the first name of each column is what an export writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shanzhi.regions.models import Resident, Tag


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def label(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en


COLUMNS: tuple[Column, ...] = (
    Column("household_number", "户编号", "Household number", ("户号", "户籍编号", "household", "household no"),
           required=True),
    Column("head_name", "户主姓名", "Head of household", ("户主", "head name", "head")),
    Column("name", "姓名", "Name", ("居民姓名", "成员姓名", "resident name"), required=True),
    Column("relation", "与户主关系", "Relation to head", ("与户主的关系", "关系", "家庭关系", "relation"),
           required=True),
    Column("gender", "性别", "Gender", ("sex",)),
    Column("id_number", "身份证号", "ID number", ("身份证号码", "公民身份号码", "身份证", "id no", "id card number"),
           required=True),
    Column("birth_date", "出生日期", "Date of birth", ("出生年月日", "出生年月", "birth date", "birthday")),
    Column("phone", "联系电话", "Phone", ("电话", "手机", "手机号", "手机号码", "联系方式", "phone number", "mobile")),
    Column("grid_code", "网格编码", "Grid code", ("网格代码", "网格编号", "grid")),
    Column("address", "住址", "Address", ("地址", "家庭住址", "现住址", "居住地址")),
    Column("tags", "标签", "Tags", ("人员标签", "人员类别", "tag")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c for c in COLUMNS if c.required)

# The column a rejects file adds; ignored when the fixed file comes back.
REASON_ZH, REASON_EN = "错误原因", "Problem"
IGNORED_HEADERS = {"错误原因", "原因", "problem", "reason", "序号", "no", "行号", "row"}


def header_key(text: str) -> str:
    """A header cell as compared: no spaces, no required-marks, no brackets, lower case."""
    text = str(text or "").strip().lower()
    text = re.sub(r"[\s*＊:：_\-]", "", text)
    return re.sub(r"[(（][^)）]*[)）]", "", text)  # 身份证号(18位) -> 身份证号


HEADER_LOOKUP: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.zh, _column.en, _column.key, *_column.aliases):
        HEADER_LOOKUP[header_key(_name)] = _column.key
IGNORED_LOOKUP = {header_key(h) for h in IGNORED_HEADERS}


# Words for the relation to the head of household, as county rosters write them.
R = Resident.Relation
RELATION_WORDS: dict[str, str] = {}
for _relation, _words in {
    R.HEAD: "户主 本人 户主本人 head self",
    R.SPOUSE: "配偶 妻 妻子 夫 丈夫 之妻 之夫 老伴 爱人 spouse wife husband",
    R.SON: "子 儿子 长子 次子 三子 四子 五子 独子 养子 继子 son",
    R.DAUGHTER: "女 女儿 长女 次女 三女 四女 五女 独女 养女 继女 daughter",
    R.FATHER: "父亲 父 公公 岳父 father",
    R.MOTHER: "母亲 母 婆婆 岳母 mother",
    R.SON_IN_LAW: "女婿 婿 son-in-law son_in_law soninlaw",
    R.DAUGHTER_IN_LAW: "儿媳 儿媳妇 媳妇 长媳 次媳 daughter-in-law daughter_in_law daughterinlaw",
    R.GRANDSON: "孙子 孙 外孙 外孙子 grandson",
    R.GRANDDAUGHTER: "孙女 外孙女 granddaughter",
    R.GRANDPARENT: "祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆 姥爷 姥姥 grandparent grandfather grandmother",
    R.SIBLING: "兄弟姐妹 兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹 兄弟 姐妹 sibling brother sister",
    R.OTHER: "其他 其它 其他亲属 亲属 侄子 侄女 外甥 外甥女 孙媳妇 孙女婿 曾孙 曾孙女 儿媳之子 非亲属 other",
}.items():
    for _word in _words.split():
        RELATION_WORDS[_word.lower()] = str(_relation)
# What an export writes for each relation (the first word above, or the English label).
RELATION_ZH: dict[str, str] = {
    R.HEAD: "户主", R.SPOUSE: "配偶", R.SON: "子", R.DAUGHTER: "女", R.FATHER: "父亲", R.MOTHER: "母亲",
    R.SON_IN_LAW: "女婿", R.DAUGHTER_IN_LAW: "儿媳", R.GRANDSON: "孙子", R.GRANDDAUGHTER: "孙女",
    R.GRANDPARENT: "祖父母", R.SIBLING: "兄弟姐妹", R.OTHER: "其他",
}
RELATION_EN: dict[str, str] = {r.value: r.value.replace("_", "-") for r in R}

G = Resident.Gender
GENDER_WORDS = {"男": G.MALE, "男性": G.MALE, "m": G.MALE, "male": G.MALE, "1": G.MALE,
                "女": G.FEMALE, "女性": G.FEMALE, "f": G.FEMALE, "female": G.FEMALE, "2": G.FEMALE}
GENDER_ZH: dict[str, str] = {G.MALE: "男", G.FEMALE: "女"}
GENDER_EN: dict[str, str] = {G.MALE: "male", G.FEMALE: "female"}

# Tags as the platform's Chinese pages name them (the first word), and what rosters also write.
TAG_ZH: dict[str, str] = {
    Tag.ELDERLY_ALONE: "独居老人",
    Tag.LEFT_BEHIND_CHILD: "留守儿童",
    Tag.DISABLED: "残疾人",
    Tag.LOW_INCOME: "低收入",
    Tag.KEY_PERSON: "重点人员",
    Tag.PARTY_MEMBER: "党员",
    Tag.VETERAN: "退役军人",
    Tag.MIGRANT_WORKER: "外出务工",
    Tag.SERIOUSLY_ILL: "大病患者",
}
TAG_WORDS: dict[str, str] = {}
for _tag, _words in {
    Tag.ELDERLY_ALONE: "独居老人 空巢老人 独居 elderly-living-alone",
    Tag.LEFT_BEHIND_CHILD: "留守儿童 留守 left-behind-child",
    Tag.DISABLED: "残疾人 残疾 残障 disabled",
    Tag.LOW_INCOME: "低收入 低收入户 低保户 低保 low-income",
    Tag.KEY_PERSON: "重点人员 重点人群 key-person",
    Tag.PARTY_MEMBER: "党员 中共党员 party-member",
    Tag.VETERAN: "退役军人 退伍军人 veteran",
    Tag.MIGRANT_WORKER: "外出务工 外出务工人员 务工人员 农民工 migrant-worker",
    Tag.SERIOUSLY_ILL: "大病患者 大病 重病 重病患者 seriously-ill",
}.items():
    for _word in [*_words.split(), _tag.value]:
        TAG_WORDS[str(_word).lower().replace(" ", "-").replace("_", "-")] = str(_tag)
TAG_EN: dict[str, str] = {t.value: t.value.replace("_", "-") for t in Tag}
TAG_SPLIT = re.compile(r"[、,，;；/]+")


def relation_word(relation: str, language: str) -> str:
    return (RELATION_ZH if language.startswith("zh") else RELATION_EN)[relation]


def gender_word(gender: str, language: str) -> str:
    return (GENDER_ZH if language.startswith("zh") else GENDER_EN).get(gender, "")


def tags_text(tags: list[str], language: str) -> str:
    words = TAG_ZH if language.startswith("zh") else TAG_EN
    return "、".join(words[t] for t in sorted(tags))


def parse_relation(text: str) -> str | None:
    return RELATION_WORDS.get(text.strip().lower().replace(" ", "-"))


def parse_gender(text: str) -> str | None:
    return GENDER_WORDS.get(text.strip().lower())


def parse_tags(text: str) -> tuple[set[str], list[str]]:
    """(tags, unknown words)."""
    tags: set[str] = set()
    unknown: list[str] = []
    for word in TAG_SPLIT.split(text):
        word = word.strip()
        if not word:
            continue
        tag = TAG_WORDS.get(word.lower().replace(" ", "-").replace("_", "-"))
        if tag is None:
            unknown.append(word)
        else:
            tags.add(tag)
    return tags, unknown


# A cell beginning with one of these is a formula to a spreadsheet program (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(text: str) -> str:
    """For a CSV cell: a leading apostrophe makes the spreadsheet show the text as it is."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unescape_formula(text: str) -> str:
    """The inverse of ``escape_formula``, so an exported file imports unchanged."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text
