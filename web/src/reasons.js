// The server's reasons (a problem's `detail`, each of its `errors`, an import report's lines)
// in the portal's language. The server writes them in English; in Chinese the portal rewrites
// the ones a registrar or learner meets (a bad cell of an uploaded file, an unknown learner or
// unit, a date, a grade, a workbook it cannot read, a sign-in code, a session, a role) from
// this table (every page shows a failed request's detail through api.detail, which uses it),
// keeping what they quote (the cell's text, a code, a unit id) as it is. A reason not in the
// table is shown as the server wrote it. tests/browser/reasons_test.mjs holds every rule
// against the server's own texts (the strings in the C++ sources that write them).
import {lang} from './i18n.js';

// [pattern over the whole reason, Chinese with $1.. for its groups]; a group named in `inner`
// is itself a reason (translated in turn).
const RULES = [
  // Prefixes: a line of the file, a column (its name as the file writes it), a batch's summary.
  [/^line (\d+): (.*)$/s, '第 $1 行：$2', [2]],
  [/^line (\d+), column ([A-Z]+) \((.*?)\): (.*)$/s, '第 $1 行，$2 列（$3）：$4', [4]],
  [/^line (\d+), column ([A-Z]+): (.*)$/s, '第 $1 行，$2 列：$3', [3]],
  [/^line (\d+), column ([^:]+): (.*)$/s, '第 $1 行，“$2”列：$3', [3]],
  [/^file, column ([^:]+): (.*)$/s, '文件，“$1”列：$2', [2]],
  [/^(\d+) records? (?:was|were) rejected; nothing was stored\. First: (.*)$/s,
    '$1 条记录被拒绝，未登记任何记录。第一处：$2', [2]],
  // Cells (formats/cell_values.cc, formats/mapping_apply.cc).
  [/^is empty \(the column is required\)$/, '为空（此列必填）'],
  [/^is empty, and it gives (.+)$/, '为空，而它提供 $1'],
  [/^is empty, and it is part of (.+)$/, '为空，而它是 $1 的一部分'],
  [/^"(.*)" is not a number \(expected e\.g\. 3 or 2\.5\)$/s, '“$1”不是数字（应如 3 或 2.5）'],
  [/^"(.*)" has more than two decimal places$/s, '“$1”的小数超过两位'],
  [/^"(.*)" is negative \(expected 0 or more\)$/s, '“$1”是负数（应为 0 或以上）'],
  [/^a value in a column without a header \(the header is line (\d+)\)$/, '列名为空的列中有值（列名行是第 $1 行）'],
  [/^quoted field is not closed$/, '引号内的字段没有结束引号'],
  [/^unexpected character after a closing quote$/, '结束引号后有多余的字符'],
  [/^"(.*)" is not a whole number$/s, '“$1”不是整数'],
  [/^"(.*)" is not a year \(expected e\.g\. 2024\)$/s, '“$1”不是年份（应如 2024）'],
  [/^"(.*)" is not a month as YYYYMM \(e\.g\. 202406\)$/s, '“$1”不是 YYYYMM 格式的年月（应如 202406）'],
  [/^"(.*)" is not a date \(expected e\.g\. 2024-06-30\)$/s, '“$1”不是日期（应如 2024-06-30）'],
  [/^is not an 18-character resident identity number \(Excel stored it as a number and lost digits: format the column as text\)$/,
    '不是 18 位居民身份证号码（Excel 把它存成了数字，丢失了位数：请把该列设为文本格式）'],
  [/^is not an 18-character resident identity number$/, '不是 18 位居民身份证号码'],
  [/^has no valid birth date in digits 7-14$/, '第 7–14 位不是有效的出生日期'],
  [/^fails its check digit \(GB 11643\): mistyped\?$/, '校验码不符（GB 11643），是否输入有误？'],
  [/^"(.*)" is not one of the codes: (.*)$/s, '“$1”不是以下代码之一：$2'],
  [/^"(.*)" is not a grade: a percent score \(0-100\), 优秀\/良好\/中等\/及格\/不及格, or 合格\/不合格$/s,
    '“$1”不是成绩：应为百分制分数（0–100）、优秀/良好/中等/及格/不及格，或合格/不合格'],
  [/^unknown column for mapping (.+)$/, '映射 $1 中没有这一列'],
  [/^the header lacks this required column$/, '列名行缺少这一必填列'],
  [/^expected (\d+) fields as in the header(?: \(line (\d+)\))?, found (\d+)$/,
    '应有 $1 个字段（与列名行相同），实际为 $3 个'],
  // Records (the server's checks of POST /v1/records).
  [/^is required$/, '必填'],
  [/^posted twice in one request$/, '同一外部编号在本批中出现了两次'],
  [/^posted twice in one request: also on line (\d+)$/, '同一外部编号在本批中出现了两次：第 $1 行也有'],
  [/^posted twice in one request: also at (\S+)$/, '同一外部编号在本批中出现了两次：$1 也有'],
  [/^must be a date YYYY-MM-DD$/, '须为 YYYY-MM-DD 格式的日期'],
  [/^must not contain control characters$/, '不能包含控制字符（如换行）'],
  [/^unknown CSV column (.*); columns are (.*)$/s, '未知的列 $1；可用的列：$2'],
  [/^not a decimal number$/, '不是十进制数'],
  [/^must be a level from 1 to 10$/, '等级须为 1 到 10'],
  [/^not a calendar date between 1900 and 2999$/, '不是 1900 至 2999 年之间的日历日期'],
  [/^is in the future \(today is ([0-9-]+)\)$/, '晚于今天（今天是 $1）'],
  [/^no unit '(.*)' in the catalog$/s, '课程目录中没有 $1'],
  [/^no learner account '(.*)'; create it with POST \/v1\/learners$/s, '没有学习者账户 $1，请先为其开户'],
  [/^credits (\S+) do not match hours (\S+) at (\S+) hours per credit \((\S+) credits\)$/,
    '学分 $1 与学时 $2 不符：按每学分 $3 学时应为 $4 学分'],
  [/^"(.*)" is not a grade of scale (\S+); allowed: (.*)$/s, '“$1”不是成绩制 $2 的成绩；允许：$3', [3]],
  [/^is required for scale (\S+); allowed: (.*)$/s, '成绩制 $1 必须填写成绩；允许：$2', [2]],
  [/^a number from (\S+) to (\S+) with at most (\d+) decimals$/, '$1 到 $2 之间、最多 $3 位小数的数'],
  [/^unknown grade scale "(.*)"; known scales: (.*)$/s, '未知的成绩制“$1”；可用：$2'],
  // Files the server cannot read (formats/ole2.cc, formats/xlsx_package.cc, formats/text_encoding.cc).
  [/^this is an old binary Excel file \(\.xls\); open it in Excel or WPS and save it as "Excel Workbook \(\*\.xlsx\)" or as CSV$/,
    '这是旧版二进制 Excel 文件（.xls）：请用 Excel 或 WPS 打开，另存为“Excel 工作簿 (*.xlsx)”或 CSV'],
  [/^this workbook is password-protected \(encrypted\), so it cannot be read; .*$/s,
    '这个工作簿设置了密码（已加密），无法读取：请用 Excel 或 WPS 打开，删除密码（Excel：文件 > 信息 > 保护工作簿 > 用密码进行加密，清空密码；WPS：文件 > 文档加密）后重新保存，或另存为 CSV'],
  [/^this is an old binary Office file \(a compound file holding no Excel workbook\); .*$/s,
    '这是旧版二进制 Office 文件，其中没有 Excel 工作簿：请在 Excel 或 WPS 中把工作表另存为“Excel 工作簿 (*.xlsx)”或 CSV'],
  // Signing in, sessions and roles (api/sessions.cc, api/app.cc), met on every page.
  [/^that is not a sign-in code: it has 12 letters and digits$/, '这不是登录码：登录码由 12 位字母和数字组成'],
  [/^the sign-in code is not valid: it may have been used already$/, '登录码无效：它可能已被使用过'],
  [/^the sign-in code has expired: ask for a new one$/, '登录码已过期：请重新获取'],
  [/^too many failed sign-in attempts; retry after (\d+) s$/, '登录失败次数过多，请 $1 秒后再试'],
  [/^the token is not valid$/, '令牌无效'],
  [/^not signed in$/, '尚未登录'],
  [/^the session has ended: sign in again$/, '会话已结束，请重新登录'],
  [/^this endpoint needs Authorization: Bearer <token> or a portal session$/, '需要先登录（令牌或门户会话）'],
  [/^rate limit exceeded; retry after (\d+) s$/, '请求过于频繁，请 $1 秒后再试'],
  [/^role (\S+) may not call (\S+) (\S+)$/, '角色 $1 无权调用 $2 $3'],
  // Statistics (api/routes_stats.cc).
  [/^region (\d+) is outside this regulator's region (\d+)$/, '地区 $1 不在本监管部门的地区 $2 之内'],
  [/^region (\d+) is a county, finer than a city: group it by region_level=county, or ask a coarser region$/,
    '地区 $1 是区县，比地市更细：请按区县分组，或查询更大的地区'],
  [/^region (\d+) is a county, finer than a province: group it by region_level=county, or ask a coarser region$/,
    '地区 $1 是区县，比省级更细：请按区县分组，或查询更大的地区'],
  [/^region (\d+) is a city, finer than a province: group it by region_level=city or county, or ask a coarser region$/,
    '地区 $1 是地市，比省级更细：请按地市或区县分组，或查询更大的地区'],
  [/^shutting down$/, '服务器正在停止，请稍后再试'],
  [/^the database does not answer; try again later \(the server's log has the reason\)$/, '数据库暂时无法访问，请稍后再试（原因见服务器日志）'],
  // What a learner or a registrar asks for that is not there or not theirs.
  [/^no learner '(.*)'$/s, '没有学习者 $1'],
  [/^no record '(.*)'$/s, '没有记录 $1'],
  [/^no session '(.*)'$/s, '没有会话 $1'],
  [/^no institution '(.*)'$/s, '没有机构 $1'],
  [/^record (\S+) is already revoked$/, '记录 $1 已被撤销'],
  [/^record is already revoked \(with another reason\)$/, '该记录已被撤销（撤销原因与此不同）'],
  [/^only the learner may grant access to its records$/, '只有学习者本人可以授权他人查看其记录'],
  [/^only the learner$/, '只有学习者本人可以这样做'],
  [/^a learner may evaluate only its own conversions$/, '学习者只能评估自己的学分转换'],
  [/^the workbook has no sheets$/, '工作簿中没有工作表'],
  [/^the workbook has no sheet named "(.*)"; its sheets are (.*)$/s, '工作簿中没有名为“$1”的工作表；现有工作表：$2'],
];

// Generic "<column>: <reason>" (a column name or field before the reason), tried last.
const FIELD_PREFIX = /^([^:"]{1,40}): (.+)$/s;

// The reason in the portal's language (as written when the portal is in English, or when the
// table does not know it).
export function reason(text) {
  if (typeof text !== 'string' || lang() !== 'zh') return text;
  return zh(text);
}

function zh(text) {
  for (const [pattern, out, inner = []] of RULES) {
    const m = pattern.exec(text);
    if (!m) continue;
    return out.replace(/\$(\d)/g, (_, i) => (inner.includes(Number(i)) ? zh(m[i]) : m[i] ?? ''));
  }
  const f = FIELD_PREFIX.exec(text);
  if (f) {
    const rest = zh(f[2]);
    if (rest !== f[2]) return `${f[1]}：${rest}`;
  }
  return text;
}
