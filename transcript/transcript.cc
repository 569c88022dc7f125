#include "transcript/transcript.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "transcript/pdf_canvas.h"

namespace lcb {
namespace {

using pdf::Align;
using pdf::Canvas;
using pdf::TextStyle;

// ---- Page geometry (points) ----------------------------------------------------------------
constexpr double kMargin = 40;
constexpr double kContentWidth = pdf::kPageWidth - 2 * kMargin;
constexpr double kHeaderBottom = 72;  // header band: title and verification code
constexpr double kBodyTop = 84;
constexpr double kBodyBottom = pdf::kPageHeight - 56;  // footer band below
constexpr double kRowHeight = 15;
constexpr double kTableHeadHeight = 28;
constexpr double kQrSize = 104;
constexpr double kTotalsLine = 13;
constexpr double kTotalsHead = 26;

struct Column {
  std::string_view label;
  double width;
  Align align;
};
constexpr std::array<Column, 8> kColumns = {{
    {"#", 20, Align::kRight},
    {"课程/成果\nUnit", 150, Align::kLeft},
    {"颁发机构\nIssuer", 100, Align::kLeft},
    {"类型\nKind", 82, Align::kLeft},
    {"级别\nLevel", 28, Align::kRight},
    {"学分\nCredits", 36, Align::kRight},
    {"成绩\nGrade", 40, Align::kLeft},
    {"完成日期\nCompleted", 59, Align::kRight},
}};

constexpr std::array<std::string_view, kUnitKindCount> kKindLabels = {
    "学位课程 Degree course",
    "非学历课程 Non-degree course",
    "职业资格证书 Vocational cert.",
    "技能证书 Skill certificate",
    "慕课 MOOC",
    "培训 Training",
    "工作经历 Work experience",
    "考试 Exam",
    "奖项 Award"};

// ---- Input checks ----------------------------------------------------------------------------

bool IsUtf8WithoutControls(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) return false;
    if (len == 1 && (c < 0x20 || c == 0x7F)) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

Status CheckText(std::string_view s, const std::string& pointer, size_t max_bytes, bool required) {
  if (required && s.empty()) return Status::InvalidArgument(Field(pointer), "is required");
  if (s.size() > max_bytes) {
    return Status::InvalidArgument(Field(pointer),
                                   "is longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (!IsUtf8WithoutControls(s)) {
    return Status::InvalidArgument(Field(pointer), "must be UTF-8 without control characters");
  }
  return Status::Ok();
}

Status Validate(const TranscriptInput& in) {
  LCB_RETURN_IF_ERROR(CheckText(in.learner_id, "/learner_id", 128, true));
  LCB_RETURN_IF_ERROR(CheckText(in.learner_name, "/learner_name", kMaxTranscriptText, false));
  LCB_RETURN_IF_ERROR(CheckText(in.verification_code, "/verification_code", 128, true));
  LCB_RETURN_IF_ERROR(
      CheckText(in.verification_url, "/verification_url", kMaxVerificationUrl, true));
  LCB_RETURN_IF_ERROR(CheckText(in.generated_at, "/generated_at", 64, true));
  LCB_RETURN_IF_ERROR(CheckText(in.checkpoint.origin, "/checkpoint/origin", 256, true));
  const std::string& root = in.checkpoint.root_hash_hex;
  if (root.size() != 64 || !std::all_of(root.begin(), root.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      })) {
    return Status::InvalidArgument(Field("/checkpoint/root_hash_hex"),
                                   "must be 64 lowercase hex digits");
  }
  if (in.records.size() > kMaxTranscriptRecords) {
    return Status::InvalidArgument(
        Field("/records"), "more than " + std::to_string(kMaxTranscriptRecords) + " records");
  }
  for (size_t i = 0; i < in.records.size(); ++i) {
    const TranscriptRecord& r = in.records[i];
    const std::string at = "/records/" + std::to_string(i);
    LCB_RETURN_IF_ERROR(CheckText(r.unit_title, at + "/unit_title", kMaxTranscriptText, true));
    LCB_RETURN_IF_ERROR(CheckText(r.issuer, at + "/issuer", kMaxTranscriptText, true));
    LCB_RETURN_IF_ERROR(CheckText(r.grade, at + "/grade", 64, false));
    if (static_cast<int>(r.kind) < 0 || static_cast<int>(r.kind) >= kUnitKindCount) {
      return Status::InvalidArgument(Field(at + "/kind"), "is not a kind");
    }
    if (r.credits < 0 || r.credits > kMaxCenti) {
      return Status::InvalidArgument(Field(at + "/credits"), "out of range");
    }
  }
  return Status::Ok();
}

// ---- Pagination ------------------------------------------------------------------------------

struct Totals {
  std::array<Centi, kUnitKindCount> by_kind{};
  std::array<bool, kUnitKindCount> present{};
  Centi overall = 0;
  int kinds = 0;
};

Totals Sum(const std::vector<TranscriptRecord>& records) {
  Totals t;
  for (const TranscriptRecord& r : records) {
    const auto k = static_cast<size_t>(r.kind);
    t.by_kind[k] += r.credits;
    t.present[k] = true;
    t.overall += r.credits;
  }
  t.kinds = static_cast<int>(std::count(t.present.begin(), t.present.end(), true));
  return t;
}

// Record ranges per page, and whether the totals need a page of their own.
struct Pages {
  std::vector<std::pair<size_t, size_t>> rows;  // [begin, end) per page
  double totals_height = 0;
};

size_t RowsFitting(double top) {
  return static_cast<size_t>(std::floor((kBodyBottom - top - kTableHeadHeight) / kRowHeight));
}

Pages Paginate(size_t n, const Totals& totals, double first_top) {
  Pages p;
  p.totals_height = kTotalsHead + kTotalsLine * (totals.kinds + 1);
  size_t begin = 0;
  double top = first_top;
  do {
    const size_t end = std::min(n, begin + RowsFitting(top));
    p.rows.emplace_back(begin, end);
    begin = end;
    top = kBodyTop;
  } while (begin < n);
  // Totals go under the last table; if they do not fit there, on one more page.
  const auto [last_begin, last_end] = p.rows.back();
  const double last_top = p.rows.size() == 1 ? first_top : kBodyTop;
  const double used = kTableHeadHeight + kRowHeight * std::max<size_t>(last_end - last_begin, 1);
  if (last_top + used + p.totals_height > kBodyBottom) p.rows.emplace_back(n, n);
  return p;
}

// ---- Drawing ---------------------------------------------------------------------------------

std::string Credits(Centi c) { return CentiToString(c); }

void DrawHeader(Canvas& c, const TranscriptInput& in) {
  c.Text(kMargin, 34, 300, "学分证明  Credit Transcript", {.size = 16, .bold = true});
  // The code is what a reader types to verify the paper: never cut short. Its box, right of
  // the title, holds 32 of the widest hex digits at this size on one line (else it wraps).
  c.Text(kMargin + 250, 36, kContentWidth - 250, "验证码 Verification code",
         {.size = 7, .align = Align::kRight, .gray = 0.35});
  c.Text(kMargin + 250, 46, kContentWidth - 250, in.verification_code,
         {.size = 10.5, .bold = true, .align = Align::kRight, .ellipsize = false});
  c.Line(kMargin, kHeaderBottom - 8, kMargin + kContentWidth, kHeaderBottom - 8, 0.8);
}

void DrawFooter(Canvas& c, const TranscriptInput& in, size_t page, size_t pages) {
  const double y = pdf::kPageHeight - 40;
  c.Line(kMargin, y - 6, kMargin + kContentWidth, y - 6, 0.4, 0.5);
  const std::string n = std::to_string(page), total = std::to_string(pages);
  c.Text(kMargin, y, kContentWidth,
         "第 " + n + " 页 / 共 " + total + " 页 · Page " + n + " of " + total,
         {.size = 8, .align = Align::kCenter});
  c.Text(kMargin, y, 200, in.learner_id, {.size = 7, .gray = 0.35});
  c.Text(kMargin + kContentWidth - 200, y, 200, in.generated_at,
         {.size = 7, .align = Align::kRight, .gray = 0.35});
}

double LabelValue(Canvas& c, double y, std::string_view label, std::string_view value, double width,
                  bool wrap = false) {
  c.Text(kMargin, y + 1, 110, label, {.size = 8, .gray = 0.35});
  return std::max(10.0,
                  c.Text(kMargin + 112, y, width - 112, value, {.size = 9.5, .ellipsize = !wrap}));
}

// Draws the learner block beside the QR code, then the checkpoint block and the note at full
// width; returns where the records table may start.
StatusOr<double> DrawFirstPageBlock(Canvas& c, const TranscriptInput& in, size_t records) {
  const double beside_qr = kContentWidth - kQrSize - 16;
  double y = kHeaderBottom + 2;
  const std::string learner =
      in.learner_name.empty() ? in.learner_id : in.learner_name + "  (" + in.learner_id + ")";
  y += LabelValue(c, y, "学习者 Learner", learner, beside_qr) + 4;
  y += LabelValue(c, y, "生成时间 Generated at", in.generated_at, beside_qr) + 4;
  y += LabelValue(c, y, "有效记录 Active records", std::to_string(records), beside_qr) + 4;
  y += LabelValue(c, y, "验证网址 Verify at", in.verification_url, beside_qr, true) + 4;
  LCB_RETURN_IF_ERROR(
      c.Qr(kMargin + kContentWidth - kQrSize, kHeaderBottom, kQrSize, in.verification_url));
  y = std::max(y, kHeaderBottom + kQrSize) + 6;
  y += LabelValue(c, y, "日志 Log origin", in.checkpoint.origin, kContentWidth) + 4;
  y +=
      LabelValue(c, y, "树大小 Tree size", std::to_string(in.checkpoint.tree_size), kContentWidth) +
      4;
  y += LabelValue(c, y, "根哈希 Root hash", in.checkpoint.root_hash_hex, kContentWidth) + 6;
  y += c.Text(kMargin, y, kContentWidth,
              "本证明列出上述签名检查点时该学习者的全部有效记录；扫描二维码或访问验证网址核验。"
              " This transcript lists every active record of the learner at the signed "
              "checkpoint above; scan the QR code or open the URL to verify it.",
              {.size = 7, .ellipsize = false, .gray = 0.25});
  return y + 10;
}

double DrawTableHead(Canvas& c, double y) {
  c.FillRect(kMargin, y, kContentWidth, kTableHeadHeight - 4, 0.9);
  double x = kMargin;
  for (const Column& col : kColumns) {
    c.Text(x + 3, y + 3, col.width - 6, col.label, {.size = 7, .bold = true, .align = col.align});
    x += col.width;
  }
  return y + kTableHeadHeight;
}

void DrawRow(Canvas& c, double y, size_t number, const TranscriptRecord& r) {
  const std::string cells[] = {std::to_string(number),
                               r.unit_title,
                               r.issuer,
                               std::string(kKindLabels[static_cast<size_t>(r.kind)]),
                               std::to_string(r.level),
                               Credits(r.credits),
                               r.grade,
                               FormatDate(r.completed_on)};
  double x = kMargin;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    c.Text(x + 3, y + 2, kColumns[i].width - 6, cells[i],
           {.size = i == 3 ? 7.5 : 8.5, .align = kColumns[i].align});
    x += kColumns[i].width;
  }
  c.Line(kMargin, y + kRowHeight - 0.5, kMargin + kContentWidth, y + kRowHeight - 0.5, 0.25, 0.75);
}

void DrawTotals(Canvas& c, double y, const Totals& t, size_t records) {
  c.Text(kMargin, y + 6, kContentWidth, "合计 Totals", {.size = 11, .bold = true});
  y += kTotalsHead;
  for (size_t k = 0; k < kUnitKindCount; ++k) {
    if (!t.present[k]) continue;
    c.Text(kMargin + 12, y, 220, kKindLabels[k], {.size = 9.5});
    c.Text(kMargin + 232, y, 80, Credits(t.by_kind[k]), {.size = 9.5, .align = Align::kRight});
    y += kTotalsLine;
  }
  c.Text(kMargin + 12, y, 220,
         "总学分 Total credits (" + std::to_string(records) + " 条记录 records)",
         {.size = 9.5, .bold = true});
  c.Text(kMargin + 232, y, 80, Credits(t.overall),
         {.size = 9.5, .bold = true, .align = Align::kRight});
}

}  // namespace

std::string TranscriptKindLabel(UnitKind kind) {
  return std::string(kKindLabels[static_cast<size_t>(kind)]);
}

StatusOr<std::string> RenderTranscriptPdf(const TranscriptInput& in) {
  LCB_RETURN_IF_ERROR(Validate(in));
  const Totals totals = Sum(in.records);
  LCB_ASSIGN_OR_RETURN(
      std::unique_ptr<Canvas> canvas,
      Canvas::Create("学分证明 Credit Transcript " + in.learner_id, in.generated_at));
  Canvas& c = *canvas;
  // The first page's block is measured as it is drawn; the pages follow from where it ends.
  DrawHeader(c, in);
  LCB_ASSIGN_OR_RETURN(const double first_top, DrawFirstPageBlock(c, in, in.records.size()));
  const Pages pages = Paginate(in.records.size(), totals, first_top);
  for (size_t page = 0; page < pages.rows.size(); ++page) {
    double y = first_top;
    if (page > 0) {
      c.NewPage();
      DrawHeader(c, in);
      y = kBodyTop;
    }
    DrawFooter(c, in, page + 1, pages.rows.size());
    const auto [begin, end] = pages.rows[page];
    if (begin < end || in.records.empty()) {
      y = DrawTableHead(c, y);
      for (size_t i = begin; i < end; ++i, y += kRowHeight) DrawRow(c, y, i + 1, in.records[i]);
      if (in.records.empty()) {
        c.Text(kMargin, y + 2, kContentWidth, "无有效记录  No active records",
               {.size = 9, .align = Align::kCenter, .gray = 0.3});
        y += kRowHeight;
      }
    }
    if (page + 1 == pages.rows.size()) DrawTotals(c, y + 6, totals, in.records.size());
  }
  return c.Finish();
}

}  // namespace lcb
