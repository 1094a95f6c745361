"""The Chinese texts of verification issues: what is wrong and how to fix it, in plain words.

Every function takes the item's Chinese name first, so a message reads the same for every subcategory.
"""

MAX_LABELS_LISTED = 12


def required(name: str) -> str:
    return f"{name}不能为空，请填写"


def too_long(name: str, limit: int, actual: int) -> str:
    return f"{name}最多 {limit} 个字符，现为 {actual} 个，请删减"


def too_short(name: str, limit: int, actual: int) -> str:
    return f"{name}至少 {limit} 个字符，现为 {actual} 个，请补全"


def pattern(name: str, value: str, hint: str | None) -> str:
    how = f"应{hint}" if hint else "格式不符合要求"
    return f"{name}“{value}”{how}，请核对后重新填写"


# Citizen ID (GB 11643)
def id_length(name: str, value: str, actual: int) -> str:
    return f"{name}“{value}”应为 18 位，现为 {actual} 位，请核对后填写完整号码"


def id_pattern(name: str, value: str) -> str:
    return f"{name}“{value}”格式不对：应为 17 位数字加最后一位数字或 X（不能含字母 O、空格等其他字符）"


def id_bad_date(name: str, value: str, date_text: str) -> str:
    return f"{name}“{value}”中的出生日期 {date_text} 不存在，请核对号码"


def id_future_date(name: str, value: str, date_text: str) -> str:
    return f"{name}“{value}”中的出生日期 {date_text} 晚于今天，请核对号码"


def id_province(name: str, value: str) -> str:
    return f"{name}“{value}”前两位 {value[:2]} 不是有效的省级行政区划代码，请核对号码"


def id_checksum(name: str, expected: str, trailing_zeros: bool) -> str:
    text = f"{name}校验位错误：按 GB 11643 计算应为 {expected}，请核对号码"
    if trailing_zeros:
        text += "（号码以 0 结尾：若该列曾被设为数值格式，末几位可能已丢失，请把该列设为“文本”后重新录入）"
    return text


def id_decimal(name: str, value: str) -> str:
    return f"{name}“{value}”是一个小数，不是身份证号码：请填写 18 位身份证号码（最后一位可以是 X）"


def precision_lost(name: str, value: str) -> str:
    return (
        f"{name}被 Excel 当作数字保存，末几位已经丢失（现为“{value}”）：请把该列单元格格式设为“文本”，"
        "再重新录入完整的号码"
    )


# Unified social credit code (GB 32100)
def uscc_length(name: str, value: str, actual: int) -> str:
    return f"{name}“{value}”应为 18 位，现为 {actual} 位，请核对营业执照后填写"


def uscc_pattern(name: str, value: str) -> str:
    return (
        f"{name}“{value}”含有不允许的字符：第 3～8 位应为数字，其余为数字或大写字母（不含 I、O、S、V、Z），"
        "请核对营业执照"
    )


def uscc_decimal(name: str, value: str) -> str:
    return f"{name}“{value}”是一个小数，不是统一社会信用代码：请按营业执照填写 18 位代码"


def uscc_checksum(name: str, expected: str) -> str:
    return f"{name}校验位错误：按 GB 32100 计算最后一位应为 {expected}，请核对营业执照"


# Phone
def phone_length(name: str, value: str, actual: int) -> str:
    return f"{name}“{value}”是 {actual} 位，手机号码应为 11 位，请核对"


def phone_pattern(name: str, value: str) -> str:
    return (
        f"{name}“{value}”不是有效的电话号码：请填写 11 位手机号码，或带区号的固定电话（如 0535-6612345），只填一个号码"
    )


# Dates
def date_type(name: str, value: str) -> str:
    return f"{name}“{value}”无法识别为日期，请按 1990-01-01 的格式填写"


def date_missing_day(name: str, value: str) -> str:
    return f"{name}“{value}”只有年份或年月，请填写完整日期，如 1990-01-01"


def date_impossible(name: str, value: str) -> str:
    return f"{name}“{value}”不是真实存在的日期，请核对年、月、日"


def date_future(name: str) -> str:
    return f"{name}不能晚于今天"


def date_before(name: str, minimum: str) -> str:
    return f"{name}不能早于 {minimum}"


# Numbers
def not_integer(name: str, value: str) -> str:
    return f"{name}“{value}”不是整数，请填写阿拉伯数字，如 3"


def not_number(name: str, value: str) -> str:
    return f"{name}“{value}”不是数字，请填写阿拉伯数字，如 12.5"


def below(name: str, value: str, minimum: str, exclusive: bool) -> str:
    return f"{name}“{value}”应{'大于' if exclusive else '不小于'} {minimum}，请核对"


def above(name: str, value: str, maximum: str) -> str:
    return f"{name}“{value}”应不大于 {maximum}，请核对"


# Codes and booleans
def code(name: str, value: str, labels: list[str], table_name: str) -> str:
    if len(labels) <= MAX_LABELS_LISTED:
        choices = "可填：" + "、".join(labels)
    else:
        choices = f"请按代码表《{table_name}》填写（模板中的下拉列表可选）"
    return f"{name}填写“{value}”不在代码表中，{choices}"


def boolean(name: str, value: str) -> str:
    return f"{name}填写“{value}”无法识别，请填写“是”或“否”"


def region(name: str, value: str) -> str:
    return f"{name}“{value}”应为 4、6、9、12 或 15 位数字的行政区划代码"


# Cross-field rules and duplicates
def id_birth_date(date_name: str, date_value: str, id_name: str, id_date: str) -> str:
    return f"{date_name} {date_value} 与{id_name}中的出生日期 {id_date} 不一致，请核对"


def id_sex(sex_name: str, sex_label: str, id_name: str, id_label: str) -> str:
    return f"{sex_name}“{sex_label}”与{id_name}不符（按号码第 17 位应为{id_label}），请核对"


def date_not_before(name: str, value: str, other_name: str, other_value: str) -> str:
    return f"{name} {value} 早于{other_name} {other_value}，请核对"


def duplicate_in_file(first_row: int, key_names: str) -> str:
    return (
        f"与第 {first_row} 行的{key_names}重复：同一文件中只能出现一次，请确认保留哪一行；"
        "另一行改正，或在批次页面点“排除此行”（在文件中则直接删除该行）"
    )
