#include "formats/text_encoding.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/csv.h"

namespace lcb::formats {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Owns an iconv conversion descriptor.
class Iconv {
 public:
  explicit Iconv(const char* from) : cd_(iconv_open("UTF-8", from)) {}
  ~Iconv() {
    if (ok()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }
  iconv_t get() const { return cd_; }

 private:
  iconv_t cd_;
};

std::string HexBytes(std::string_view bytes) {
  std::string out;
  char buf[8];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%s%02X", out.empty() ? "" : " ", c);
    out += buf;
  }
  return out;
}

void AddProblem(std::vector<CellProblem>* problems, int line, std::string reason) {
  if (!problems->empty() && problems->back().line == line) return;  // one per line
  if (problems->size() >= kMaxEncodingProblems) return;
  problems->push_back(CellProblem{line, "", "", "", std::move(reason)});
}

// How a user names a file's encoding, on either path.
constexpr std::string_view kNameTheEncoding =
    "name it: import --encoding, or charset= in the Content-Type of an upload";

// GB18030/GBK -> UTF-8. A bad sequence is reported on its line and skipped one byte at a time,
// so that every bad line is found in one pass.
std::string ConvertFrom(std::string_view bytes, Encoding encoding,
                        std::vector<CellProblem>* problems) {
  const char* name = encoding == Encoding::kGbk ? "GBK" : "GB18030";
  Iconv cd(name);
  if (!cd.ok()) {
    problems->push_back(CellProblem{
        0, "", "", "", std::string("this system cannot convert ") + name + " (iconv_open failed)"});
    return {};
  }
  // GB18030 -> UTF-8 grows 1 -> 1, 2 -> 3 or 4 -> 4 bytes: at most 1.5x (plus slack).
  std::string out(bytes.size() + bytes.size() / 2 + 16, '\0');
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* out_ptr = out.data();
  size_t out_left = out.size();
  while (in_left > 0) {
    size_t r = iconv(cd.get(), &in_ptr, &in_left, &out_ptr, &out_left);
    if (r != static_cast<size_t>(-1)) break;
    const size_t offset = bytes.size() - in_left;
    if (errno == E2BIG) {  // cannot happen with the bound above; grow anyway
      const size_t used = out.size() - out_left;
      out.resize(out.size() * 2);
      out_ptr = out.data() + used;
      out_left = out.size() - used;
      continue;
    }
    const std::string_view seq = bytes.substr(offset, std::min<size_t>(4, in_left));
    AddProblem(problems, LineOfOffset(bytes, offset),
               (errno == EINVAL ? "the file ends inside a character (bytes " + HexBytes(seq) + ")"
                                : "bytes " + HexBytes(seq) + " are not valid " +
                                      std::string(EncodingName(encoding))) +
                   " (is the file in another encoding? " + std::string(kNameTheEncoding) + ")");
    ++in_ptr;
    --in_left;
    iconv(cd.get(), nullptr, nullptr, nullptr, nullptr);  // reset the shift state
  }
  out.resize(out.size() - out_left);
  return out;
}

void CheckUtf8(std::string_view text, std::vector<CellProblem>* problems) {
  size_t base = 0;
  while (base < text.size() && problems->size() < kMaxEncodingProblems) {
    const size_t bad = FindInvalidUtf8(text.substr(base));
    if (bad == std::string_view::npos) return;
    const size_t offset = base + bad;
    AddProblem(problems, LineOfOffset(text, offset),
               "bytes " + HexBytes(text.substr(offset, 4)) +
                   " are not valid UTF-8 (is the file GB18030/GBK? " +
                   std::string(kNameTheEncoding) + ")");
    // Go on after this line: one problem per line is enough.
    const size_t eol = text.find('\n', offset);
    if (eol == std::string_view::npos) return;
    base = eol + 1;
  }
}

}  // namespace

StatusOr<Encoding> ParseEncodingName(std::string_view name) {
  const std::string n = Lower(Trim(name));
  if (n.empty() || n == "auto") return Encoding::kAuto;
  if (n == "utf-8" || n == "utf8") return Encoding::kUtf8;
  if (n == "gb18030") return Encoding::kGb18030;
  if (n == "gbk" || n == "cp936" || n == "gb2312" || n == "windows-936") return Encoding::kGbk;
  return Status::InvalidArgument(
      Field("/encoding"),
      "unknown encoding \"" + std::string(name).substr(0, 40) + "\"; use utf-8, gb18030 or gbk");
}

std::string_view EncodingName(Encoding encoding) {
  switch (encoding) {
    case Encoding::kAuto:
      return "auto";
    case Encoding::kUtf8:
      return "utf-8";
    case Encoding::kGb18030:
      return "gb18030";
    case Encoding::kGbk:
      return "gbk";
  }
  return "?";
}

std::optional<std::string> CharsetOfContentType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  while (semi != std::string_view::npos) {
    std::string_view rest = content_type.substr(semi + 1);
    const size_t next = rest.find(';');
    std::string_view param = Trim(rest.substr(0, next));
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && Lower(Trim(param.substr(0, eq))) == "charset") {
      std::string_view value = Trim(param.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return Lower(value);
    }
    semi = next == std::string_view::npos ? next : semi + 1 + next;
  }
  return std::nullopt;
}

std::string MediaTypeOf(std::string_view content_type) {
  return Lower(Trim(content_type.substr(0, content_type.find(';'))));
}

int LineOfOffset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

StatusOr<DecodedText> DecodeText(std::string_view bytes, Encoding encoding,
                                 std::vector<CellProblem>* problems) {
  const size_t problems_before = problems->size();
  auto fail = [&]() -> Status {
    return Status::InvalidArgument(Field(""), FormatProblem((*problems)[problems_before]));
  };
  const bool utf8_bom = bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom;
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    problems->push_back(CellProblem{1, "", "", "",
                                    "the file is UTF-16 (Excel's \"Unicode Text\"); save it as "
                                    "\"CSV UTF-8\" or \"CSV\" instead"});
    return fail();
  }
  if (utf8_bom && (encoding == Encoding::kGb18030 || encoding == Encoding::kGbk)) {
    problems->push_back(
        CellProblem{1, "", "", "",
                    "the file starts with a UTF-8 byte-order mark but the encoding given is " +
                        std::string(EncodingName(encoding)) + "; give utf-8 (or no encoding)"});
    return fail();
  }
  DecodedText out;
  if (encoding == Encoding::kAuto) {
    const std::string_view body = utf8_bom ? bytes.substr(kUtf8Bom.size()) : bytes;
    encoding = utf8_bom || FindInvalidUtf8(body) == std::string_view::npos ? Encoding::kUtf8
                                                                           : Encoding::kGb18030;
  }
  out.encoding = encoding;
  if (encoding == Encoding::kUtf8) {
    // A file re-saved by tools that each add a mark can start with several; drop them all.
    while (bytes.starts_with(kUtf8Bom)) bytes.remove_prefix(kUtf8Bom.size());
    CheckUtf8(bytes, problems);
    if (problems->size() > problems_before) return fail();
    out.text.assign(bytes);
    return out;
  }
  out.text = ConvertFrom(bytes, encoding, problems);
  if (problems->size() > problems_before) return fail();
  // GB18030 can encode U+FEFF too (84 31 95 33); drop every leading one like a UTF-8 BOM.
  size_t marks = 0;
  while (std::string_view(out.text).substr(marks).starts_with(kUtf8Bom)) marks += kUtf8Bom.size();
  out.text.erase(0, marks);
  return out;
}

}  // namespace lcb::formats
