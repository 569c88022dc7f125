#include "engine/regimes.h"

#include <algorithm>
#include <array>
#include <string>

namespace lcb {
namespace {

// ---- Sources shared by several regimes ----------------------------------------------------
// Each regime keeps its own source list (indices are local), so a regime reads on its own in
// GET /v1/regimes; the shared texts are spelled once here.

constexpr RegimeSource kIsced2011 = {
    "International Standard Classification of Education: ISCED 2011",
    "UNESCO Institute for Statistics (classification list as published by Eurostat RAMON, "
    "CL_ISCED11)",
    "http://ec.europa.eu/eurostat/ramon/nomenclatures/"
    "index.cfm?TargetUrl=LST_NOM_DTL&StrNom=CL_ISCED11&StrLanguageCode=EN&IntPcKey=&"
    "StrLayoutCode=HIERARCHIC",
    "levels ED5 short-cycle tertiary, ED6 bachelor's or equivalent, ED7 master's or "
    "equivalent, ED8 doctoral or equivalent"};

constexpr RegimeSource kEqf2017 = {
    "Council Recommendation of 22 May 2017 on the European Qualifications Framework for "
    "lifelong learning (2017/C 189/03), OJ C 189, 15.6.2017, p. 15-28",
    "Council of the European Union (EUR-Lex)",
    "http://eur-lex.europa.eu/legal-content/AUTO/?uri=CELEX:32017H0615(01)",
    "recital (3): eight levels; Annex II: level descriptors and their compatibility with the "
    "QF-EHEA (short cycle = EQF 5, first cycle = 6, second cycle = 7, third cycle = 8)"};

// ---- China ---------------------------------------------------------------------------------

constexpr std::array kCnSources = {
    RegimeSource{
        "教育部关于职业院校专业人才培养方案制订与实施工作的指导意见 (教职成〔2019〕13号)",
        "中华人民共和国教育部 (as cited by 湖北职业技术学院)",
        "https://zyjs.hbvtc.edu.cn/info/1450/2922.htm",
        "学时与学分: 16-18 classroom hours a credit (the citing page was read; the sentence "
        "itself is in the Ministry's document)"},
    RegimeSource{"2025版本科专业人才培养方案 指导意见", "jw.whxy.edu.cn (academic affairs office)",
                 "https://jw.whxy.edu.cn/info/1029/10091.htm",
                 "三、学分学时学制: 理论课、实验实训课每16学时计1学分"},
    kIsced2011,
    kEqf2017,
    RegimeSource{"上海开放大学免考免修有哪些要求?怎么申请?", "上海开放大学 (徐汇财贸分校 page)",
                 "http://yude.org/dianda/news/11018.shtml",
                 "必修课程免修免考和学分替换的规定: 其他高等学校课程 替代必修总学分比例 50%"},
    RegimeSource{"国开大学课程完成多少", "gaokao01.com (summary of 国家开放大学 rules)",
                 "http://m.gaokao01.com/news/668409.html",
                 "三、其他要求: 每门课程成绩需达到60分以上"},
};

constexpr std::array kCnLevels = {
    RegimeLevel{5, "专科(高职)", "Associate (short-cycle tertiary)", 5, 5, 2},
    RegimeLevel{6, "本科", "Bachelor's", 6, 6, 2},
    RegimeLevel{7, "硕士研究生", "Master's", 7, 7, 2},
    RegimeLevel{8, "博士研究生", "Doctoral", 8, 8, 2},
};
constexpr std::array kCnScales = {RegimeGradeScale{"percent", 5}};

// ---- Korea: Academic Credit Bank System (학점은행제) -------------------------------------

constexpr std::array kKrSources = {
    RegimeSource{"학점인정 신청: 학점원 소개", "국가평생교육진흥원 (NILE), 학점은행",
                 "https://www.cb.or.kr/creditbank/persInfo/nCreditRegInfo.do",
                 "학점원 소개 (평가인정 학습과정, 시간제 등록, 자격, 독학학위제, 국가무형문화재)"},
    RegimeSource{"학사안내", "광운대학교 정보과학교육원 (a 평가인정 institution)",
                 "https://iit.kw.ac.kr/servlet/controller.home.students.StudentsServlet?"
                 "p_process=students04",
                 "수업시간: 학점당 15시간(실험·실습·실기 30시간) 이상; 학기 24학점, 1년 42학점"},
    RegimeSource{"학점은행제란: 학점인정 범위", "서울한영대학교 평생교육원",
                 "https://lifeedu.shyu.ac.kr/fro_end/html/dep_03/3100.php",
                 "1년 최대 42학점, 1학기 24학점; 1개 교육기관 최대 학사 105학점, 전문학사 60학점; "
                 "출석률 80% 이상, 성적 60점 이상"},
    RegimeSource{"학점은행제란: 학위취득을 위한 이수 학점", "아주대학교 평생교육원",
                 "https://cll.ajou.ac.kr/cll/sub05/introduction-to-the-credit-banking-system.do",
                 "학사 140학점, 전문학사 80학점(2년제)/120학점(3년제)"},
    kIsced2011,
    kEqf2017,
    RegimeSource{"학점인정 주의사항", "동의과학대학교 사이버평생교육원",
                 "https://cyber.dit.ac.kr/html/m02/s04-1.asp",
                 "1년/1학기의 구분: 1년은 3월 1일부터 다음해 2월 28일까지"},
};

constexpr std::array kKrLevels = {
    RegimeLevel{5, "专门学士 (전문학사)", "Associate degree (전문학사)", 5, 5, 3},
    RegimeLevel{6, "学士 (학사)", "Bachelor's degree (학사)", 6, 6, 3},
};
constexpr std::array kKrScales = {RegimeGradeScale{"percent", 2}};
constexpr std::array kKrCaps = {
    RegimeCap{CapBy::kYear, 42 * kCentiPerCredit,
              "42 credits a year; ACBS counts its year from 1 March to the end of February "
              "(source 6), the bank's year cap groups by the calendar year of completed_on",
              2},
    RegimeCap{CapBy::kIssuer, 105 * kCentiPerCredit,
              "at most 105 credits from one institution toward a bachelor's degree (60 toward "
              "an associate degree: set the program's own cap)",
              2},
};

// ---- ECTS and the EQF ----------------------------------------------------------------------

constexpr std::array kEctsSources = {
    RegimeSource{"ECTS Users' Guide 2015", "European Commission (quoted by UNILINK)",
                 "https://unilink.it/en/students/internationalization/ects-users-guide",
                 "key features: 60 credits a full-time year, 1,500-1,800 hours, one credit "
                 "25-30 hours of work"},
    RegimeSource{
        "Translation into ECTS grades (ECTS grading scale of the ECTS Users' Guide)",
        "Université libre de Bruxelles",
        "http://www.ulb.ac.be/enseignements/presentation/en/presentation-en-translation.html",
        "A top 10 %, B next 25 %, C next 30 %, D next 25 %, E next 10 % (pass); FX, F "
        "(fail)"},
    kEqf2017,
    kIsced2011,
};

constexpr std::array kEqfLevels = {
    RegimeLevel{1, "欧洲资历框架 1 级", "EQF level 1", 1, -1, 2},
    RegimeLevel{2, "欧洲资历框架 2 级", "EQF level 2", 2, -1, 2},
    RegimeLevel{3, "欧洲资历框架 3 级", "EQF level 3", 3, -1, 2},
    RegimeLevel{4, "欧洲资历框架 4 级", "EQF level 4", 4, -1, 2},
    RegimeLevel{5, "欧洲资历框架 5 级(短周期)", "EQF level 5 (short cycle)", 5, 5, 2},
    RegimeLevel{6, "欧洲资历框架 6 级(第一周期)", "EQF level 6 (first cycle)", 6, 6, 2},
    RegimeLevel{7, "欧洲资历框架 7 级(第二周期)", "EQF level 7 (second cycle)", 7, 7, 2},
    RegimeLevel{8, "欧洲资历框架 8 级(第三周期)", "EQF level 8 (third cycle)", 8, 8, 2},
};
constexpr std::array kEctsScales = {RegimeGradeScale{"ects", 1}};

// ---- Hong Kong Qualifications Framework ----------------------------------------------------

constexpr std::array kHkSources = {
    RegimeSource{"QF Level / QF Credit", "Qualifications Register (HKQR), Education Bureau, HKSAR",
                 "https://www.hkqr.gov.hk/HKQR/qrLevelExplanation.jsp?enable_credit_ind=Y",
                 "QF Level: typical qualifications of levels 1-7; QF Credit: one QF credit is ten "
                 "notional learning hours, awarded in full or not, independent of the grade"},
    RegimeSource{"Comparability Study of the Hong Kong Qualifications Framework (HKQF) and the "
                 "European Qualifications Framework for Lifelong Learning (EQF): Joint Technical "
                 "Report (ISBN 978-92-79-63853-4, doi:10.2767/77528)",
                 "Education Bureau, HKSAR and European Commission (announced on hkqf.gov.hk)",
                 "https://www.hkqf.gov.hk/en/perspective/index.html",
                 "the level table of the report was not retrieved: levels 1-3 carry no EQF "
                 "correspondence here"},
    kEqf2017,
    kIsced2011,
};

constexpr std::array kHkLevels = {
    RegimeLevel{1, "資歷架構第一級(證書)", "QF Level 1 (Certificate)", 0, -1, 1},
    RegimeLevel{2, "資歷架構第二級(證書)", "QF Level 2 (Certificate)", 0, -1, 1},
    RegimeLevel{3, "資歷架構第三級(文憑)", "QF Level 3 (Diploma)", 0, -1, 1},
    RegimeLevel{4, "資歷架構第四級(副學士/高級文憑)", "QF Level 4 (Associate / Higher Diploma)", 5,
                5, 0},
    RegimeLevel{5, "資歷架構第五級(學士)", "QF Level 5 (Bachelor Degree)", 6, 6, 0},
    RegimeLevel{6, "資歷架構第六級(碩士)", "QF Level 6 (Master Degree / Postgraduate Diploma)", 7,
                7, 0},
    RegimeLevel{7, "資歷架構第七級(博士)", "QF Level 7 (Doctoral Degree)", 8, 8, 0},
};
constexpr std::array kHkScales = {RegimeGradeScale{"pass_fail", 0}};

// ---- The table -----------------------------------------------------------------------------

const std::array<Regime, 4>& Table() {
  static const std::array<Regime, 4> table = {
      Regime{"cn",
             "中国学分银行",
             "China's credit banks",
             16 * kCentiPerCredit,
             16 * kCentiPerCredit,
             18 * kCentiPerCredit,
             0,
             "学历层次(按 ISCED 2011 编号)",
             "Levels of formal education, numbered by ISCED 2011",
             2,
             kCnLevels,
             kCnScales,
             5000,
             4,
             {},
             kCnSources},
      Regime{"kr-acbs", "韩国学分银行制 (학점은행제)", "Korea's Academic Credit Bank System",
             15 * kCentiPerCredit, 15 * kCentiPerCredit, 30 * kCentiPerCredit, 1,
             "学位层次 (학위과정)", "ACBS degree levels, numbered by ISCED 2011", 3, kKrLevels,
             kKrScales, std::nullopt, 0, kKrCaps, kKrSources},
      Regime{"ects",
             "欧洲学分互认体系 (ECTS)",
             "European Credit Transfer and Accumulation System (ECTS)",
             25 * kCentiPerCredit,
             25 * kCentiPerCredit,
             30 * kCentiPerCredit,
             0,
             "欧洲资历框架 (EQF)",
             "European Qualifications Framework (EQF)",
             2,
             kEqfLevels,
             kEctsScales,
             std::nullopt,
             0,
             {},
             kEctsSources},
      Regime{"hk-qf",
             "香港资历架构",
             "Hong Kong Qualifications Framework (HKQF)",
             10 * kCentiPerCredit,
             10 * kCentiPerCredit,
             10 * kCentiPerCredit,
             0,
             "香港资历架构七个级别",
             "HKQF levels 1-7",
             0,
             kHkLevels,
             kHkScales,
             std::nullopt,
             0,
             {},
             kHkSources},
  };
  return table;
}

std::string LevelList(const Regime& regime) {
  std::string out;
  for (const RegimeLevel& l : regime.levels) {
    if (!out.empty()) out += ", ";
    out += std::to_string(l.level) + " (" + std::string(l.name_en) + ")";
  }
  return out;
}

}  // namespace

const RegimeLevel* Regime::FindLevel(int level) const {
  auto it = std::find_if(levels.begin(), levels.end(),
                         [level](const RegimeLevel& l) { return l.level == level; });
  return it == levels.end() ? nullptr : &*it;
}

Policy Regime::DefaultPolicy() const {
  Policy policy;
  policy.max_transfer_ratio_bp = max_transfer_ratio_bp;
  for (const RegimeCap& preset : caps) {
    Cap cap;
    cap.by = preset.by;
    cap.default_limit = preset.limit;
    policy.caps.push_back(std::move(cap));
  }
  return policy;
}

std::span<const Regime> Regimes() { return Table(); }

const Regime* FindRegime(std::string_view id) {
  for (const Regime& r : Table()) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Status ValidateRegimeId(std::string_view regime) {
  if (regime.empty() || FindRegime(regime) != nullptr) return Status::Ok();
  std::string known;
  for (const Regime& r : Table()) {
    if (!known.empty()) known += ", ";
    known += r.id;
  }
  return Status::InvalidArgument(Field("/regime"), "unknown regime; one of " + known);
}

StatusOr<int> CommonLevelOf(const Institution& issuer, int level) {
  if (issuer.regime.empty()) return level;
  const Regime* regime = FindRegime(issuer.regime);
  if (regime == nullptr) {
    return Status::FailedPrecondition("issuer " + issuer.id + " names unknown regime " +
                                      issuer.regime);
  }
  const RegimeLevel* found = regime->FindLevel(level);
  if (found == nullptr) {
    return Status::InvalidArgument(
        Field("/level"), "is not a level of " + std::string(regime->framework_en) +
                             " (the issuer's regime " + std::string(regime->id) + "); levels are " +
                             LevelList(*regime));
  }
  return found->eqf;
}

Status ResolveCommonLevel(const Institution& issuer, Record* record) {
  LCB_ASSIGN_OR_RETURN(record->common_level, CommonLevelOf(issuer, record->level));
  return Status::Ok();
}

}  // namespace lcb
