// Two languages, Chinese first. Every string the portal shows is a pair [zh, en]; t() picks
// one. Pages keep their own pairs beside their code; the ones shared by several pages are here.
// The choice is remembered in localStorage ("cb_lang"), which holds nothing else.

const KEY = 'cb_lang';
let current = 'zh';
try {
  if (localStorage.getItem(KEY) === 'en') current = 'en';
} catch (e) { /* storage disabled: Chinese */ }

export function lang() { return current; }

export function setLang(value) {
  current = value === 'en' ? 'en' : 'zh';
  try { localStorage.setItem(KEY, current); } catch (e) { /* not remembered */ }
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

// t(['你好，{name}', 'Hello, {name}'], {name: 'A'})
export function t(pair, params) {
  let s = pair[current === 'zh' ? 0 : 1];
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

// Numbers and dates in the reader's language. Both languages write numbers alike (1,234.5)
// and a day is easy to spell, so those are formatted here: the first Intl formatter of a page
// costs tens of milliseconds (its locale data loads), which the learner home would pay before
// its first figures show. Times of day keep Intl (a reader's time zone), made once a language.
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
  'September', 'October', 'November', 'December'];

export function num(n) {
  const x = Number(n);
  if (!Number.isFinite(x)) return String(n);
  // Rounded half away from zero on the number's shortest decimal form, as Intl does (0.995 is
  // 1, where toFixed(2) would give 0.99 from the binary value just below it).
  const text = String(Math.abs(x));
  const hundredths = text.includes('e') ? Math.round(Math.abs(x) * 100) : Math.round(Number(`${text}e2`));
  const whole = String(Math.floor(hundredths / 100));
  const frac = String(hundredths % 100).padStart(2, '0').replace(/0+$/, '');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${x < 0 && hundredths ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

const timeFormats = new Map();

export function date(iso) {
  if (!iso) return '';
  const d = new Date(iso.length === 10 ? iso + 'T00:00:00Z' : iso);
  if (isNaN(d)) return iso;
  if (iso.length === 10) {
    const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()];
    return current === 'zh' ? `${y}年${m + 1}月${day}日` : `${day} ${MONTHS[m]} ${y}`;
  }
  if (!timeFormats.has(current)) {
    timeFormats.set(current, new Intl.DateTimeFormat(current === 'zh' ? 'zh-CN' : 'en-GB',
      {year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit'}));
  }
  return timeFormats.get(current).format(d);
}

export const S = {
  service: ['学分银行', 'Credit bank'],
  skip: ['跳到主要内容', 'Skip to main content'],
  otherLang: ['English', '中文'],
  otherLangCode: ['en', 'zh-CN'],
  switchLang: ['Switch to English', '切换到中文'],
  signOut: ['退出登录', 'Sign out'],
  signIn: ['登录', 'Sign in'],
  menu: ['导航', 'Navigation'],
  apiDocs: ['接口文档', 'API reference'],
  verifyLink: ['核验记录', 'Verify a record'],
  transcriptLink: ['核验学分证明', 'Verify a transcript'],
  loading: ['正在加载…', 'Loading…'],
  networkError: ['无法连接服务器，请检查网络后重试。', 'Could not reach the server. Check your connection and try again.'],
  sessionEnded: ['您的登录已结束，请重新登录。', 'Your session has ended. Sign in again.'],
  notFound: ['找不到此页面。', 'Page not found.'],
  errorSummary: ['出现问题', 'There is a problem'],
  credits: ['{n} 学分', '{n} credits'],
  creditsUnit: ['学分', 'credits'],
  back: ['返回', 'Back'],
  next: ['下一页', 'Next page'],
  prev: ['上一页', 'Previous page'],
  page: ['第 {n} 页', 'Page {n}'],
  none: ['无', 'None'],
  yes: ['是', 'Yes'],
  no: ['否', 'No'],
  active: ['有效', 'Active'],
  revoked: ['已撤销', 'Revoked'],
  close: ['关闭', 'Close'],
  download: ['下载', 'Download'],
  notAvailable: ['此服务器暂不提供该功能。', 'This server does not offer this yet.'],
  requestFailed: ['请求失败：{detail}', 'The request failed: {detail}'],
  roleLearner: ['学习者', 'Learner'],
  roleInstitution: ['院校 {id}', 'Institution {id}'],
  roleAuditor: ['审计员', 'Auditor'],
  roleAdmin: ['管理员', 'Administrator'],
  roleRegulator: ['监管部门（地区 {id}）', 'Regulator (region {id})'],
  signedInAs: ['已登录：{who}', 'Signed in: {who}'],

  // Navigation
  navPassbook: ['学分存折', 'Passbook'],
  navRecords: ['学习成果', 'Records'],
  navPrograms: ['专业进度', 'Programs'],
  navConversions: ['学分认定', 'Credit transfers'],
  navCredentials: ['证书下载', 'Credentials'],
  navSharing: ['授权共享', 'Sharing'],
  navDevice: ['其他设备登录', 'Another device'],
  navMySessions: ['登录设备', 'Signed-in sessions'],
  navAccount: ['我的账户', 'Your account'],
  navUpload: ['上传成绩', 'Upload grades'],
  navPosted: ['已登记记录', 'Posted records'],
  navRulesets: ['转换规则', 'Rulesets'],
  navEvaluate: ['申请评估', 'Evaluate an applicant'],
  navCodes: ['学习者登录码', 'Learner sign-in codes'],
  navCheckpoint: ['日志检查点', 'Log checkpoint'],
  navVerify: ['核验记录', 'Verify a record'],
  navConsistency: ['一致性检查', 'Consistency'],
  navSessions: ['登录会话', 'Sessions'],
  navStats: ['区域统计', 'Statistics'],
};

// Labels of the values the API uses as keys.
export const KIND = {
  degree_course: ['学历课程', 'Degree course'],
  non_degree_course: ['非学历课程', 'Non-degree course'],
  vocational_certificate: ['职业资格证书', 'Vocational certificate'],
  skill_certificate: ['技能证书', 'Skill certificate'],
  mooc: ['慕课', 'MOOC'],
  training: ['培训', 'Training'],
  work_experience: ['工作经历', 'Work experience'],
  exam: ['考试', 'Exam'],
  award: ['奖项', 'Award'],
};

// ISCED-F 2013 broad fields (the first two digits of a field code).
export const FIELD = {
  '00': ['通用课程', 'Generic programmes'],
  '01': ['教育', 'Education'],
  '02': ['艺术与人文', 'Arts and humanities'],
  '03': ['社会科学、新闻与信息', 'Social sciences, journalism and information'],
  '04': ['商业、管理与法律', 'Business, administration and law'],
  '05': ['自然科学、数学与统计', 'Natural sciences, mathematics and statistics'],
  '06': ['信息与通信技术', 'Information and communication technologies'],
  '07': ['工程、制造与建筑', 'Engineering, manufacturing and construction'],
  '08': ['农林牧渔与兽医', 'Agriculture, forestry, fisheries and veterinary'],
  '09': ['卫生与福利', 'Health and welfare'],
  '10': ['服务', 'Services'],
};

// Why a record did not count toward a program (DESIGN.md "Conversion semantics").
export const REASON = {
  no_rule: ['没有适用的转换规则', 'No rule of the program accepts it'],
  below_min_grade: ['成绩低于最低要求', 'The grade is below the minimum'],
  too_old: ['取得时间过早', 'It is too old'],
  revoked: ['记录已撤销', 'The record was revoked'],
  used_elsewhere: ['已用于其他要求', 'Used for another requirement'],
  requirement_full: ['对应要求已满', 'The requirement it fits is already full'],
  transfer_cap: ['已达到可转换学分上限', 'The transfer cap is reached'],
  cap: ['超过 {by} 限额（{key}）', 'Over the {by} cap ({key})'],
};

export function kindLabel(k) { return KIND[k] ? t(KIND[k]) : k; }

export function fieldLabel(code) {
  const broad = FIELD[String(code).slice(0, 2)];
  return broad ? `${code} ${t(broad)}` : String(code);
}

export function reasonLabel(code) {
  if (REASON[code]) return t(REASON[code]);
  const m = /^cap:([^:]+):(.*)$/.exec(code || '');
  if (m) return t(REASON.cap, {by: m[1], key: m[2]});
  return code;
}

export function roleLabel(session) {
  if (!session) return '';
  const [kind, id] = session.role.split(/:(.*)/s);
  if (kind === 'learner') return t(S.roleLearner);
  if (kind === 'institution') return t(S.roleInstitution, {id});
  if (kind === 'auditor') return t(S.roleAuditor);
  if (kind === 'regulator') return t(S.roleRegulator, {id});
  return t(S.roleAdmin);
}
