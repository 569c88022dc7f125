#include "crypto/ijson.h"

#include <string>
#include <vector>

#include "common/encoding.h"

namespace lcb {
namespace {

// nlohmann's message without its "[json.exception.parse_error.101] " tag: the reason and where.
// The parser's message without its "[json.exception.…] " tag and without the "; last read:
// '…'" it ends with: that quotes the body around the error, which may be a token or a national
// ID, and problem details are shown and logged by clients. Line and column say where it is.
std::string WithoutLibraryTag(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    const size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  const size_t echo = what.find("; last read: ");
  if (echo != std::string_view::npos) what = what.substr(0, echo);
  return std::string(what);
}

using json = nlohmann::json;

// Builds the document like nlohmann's own DOM parser, but keeps the path of the value being
// read so that a duplicate member is reported with its JSON pointer.
class StrictDomSax {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  explicit StrictDomSax(json* root) : root_(root) {}

  bool null() { return Value(nullptr); }
  bool boolean(bool v) { return Value(v); }
  bool number_integer(number_integer_t v) { return Value(v); }
  bool number_unsigned(number_unsigned_t v) { return Value(v); }
  bool number_float(number_float_t v, const string_t&) { return Value(v); }
  bool string(string_t& v) { return Value(std::move(v)); }
  bool binary(binary_t& v) { return Value(json::binary(std::move(v))); }

  bool start_object(std::size_t) { return Open(json::object()); }
  bool key(string_t& k) {
    Frame& f = stack_.back();
    if (f.value->contains(k)) {
      error_ = Status::InvalidArgument(
          Field(Pointer() + "/" + JsonPointerEscape(k)),
          "member \"" + k + "\" appears twice in this object (RFC 7493 I-JSON forbids it)");
      return false;
    }
    f.key = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = Status::InvalidArgument(
        Field(""), std::string("body is not valid JSON: ") + WithoutLibraryTag(e.what()));
    return false;
  }

  const Status& error() const { return error_; }

 private:
  struct Frame {
    json* value;
    std::string key;  // objects: the member being read
  };

  // Where the next value goes: the root, the end of an array, or the current member.
  json* Slot() {
    if (stack_.empty()) return root_;
    Frame& f = stack_.back();
    if (f.value->is_array()) {
      f.value->push_back(nullptr);
      return &f.value->back();
    }
    return &(*f.value)[f.key];
  }
  bool Value(json v) {
    *Slot() = std::move(v);
    return true;
  }
  bool Open(json container) {
    if (static_cast<int>(stack_.size()) >= kMaxJsonDepth) {
      error_ = Status::InvalidArgument(
          Field(Pointer()), "JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
      return false;
    }
    json* slot = Slot();
    *slot = std::move(container);
    stack_.push_back(Frame{slot, {}});
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }
  // The pointer of the container being read.
  std::string Pointer() const {
    std::string out;
    for (size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      out += '/';
      out += f.value->is_array() ? std::to_string(f.value->size() - 1) : JsonPointerEscape(f.key);
    }
    return out;
  }

  json* root_;
  std::vector<Frame> stack_;
  Status error_;
};

}  // namespace

StatusOr<json> ParseIJson(std::string_view text) {
  json root;
  StrictDomSax sax(&root);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax);
  } catch (const json::exception& e) {
    // out_of_range for numbers beyond a double (1e999999) is thrown, not reported.
    return Status::InvalidArgument(
        Field(""), std::string("body is not valid JSON: ") + WithoutLibraryTag(e.what()));
  }
  if (!ok) {
    if (!sax.error().ok()) return sax.error();
    return Status::InvalidArgument(Field(""), "body is not valid JSON");
  }
  return root;
}

}  // namespace lcb
