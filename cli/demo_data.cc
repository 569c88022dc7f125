#include "cli/demo_data.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "codec/json_util.h"
#include "common/encoding.h"
#include "crypto/ijson.h"

namespace lcb::demo {
namespace {

// Names, notes and reasons are free text; the server applies its own limits to what it stores.
constexpr size_t kMaxText = 4000;
constexpr int64_t kMaxSmallInt = 1000000;
constexpr size_t kMaxFileBytes = 64 << 20;

std::string Child(const std::string& ptr, std::string_view key) {
  return ptr + "/" + JsonPointerEscape(key);
}

std::string Item(const std::string& ptr, size_t i) { return ptr + "/" + std::to_string(i); }

StatusOr<std::string> Text(const json& obj, std::string_view key, const std::string& ptr) {
  return RequiredString(obj, key, ptr, kMaxText);
}

StatusOr<std::optional<std::string>> OptText(const json& obj, std::string_view key,
                                             const std::string& ptr) {
  return OptionalString(obj, key, ptr, kMaxText);
}

StatusOr<std::optional<double>> OptNumber(const json& obj, std::string_view key,
                                          const std::string& ptr) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::optional<double>();
  if (!it->is_number()) return Status::InvalidArgument(Field(Child(ptr, key)), "must be a number");
  return std::optional<double>(it->get<double>());
}

StatusOr<double> Number(const json& obj, std::string_view key, const std::string& ptr) {
  LCB_ASSIGN_OR_RETURN(std::optional<double> v, OptNumber(obj, key, ptr));
  if (!v) return Status::InvalidArgument(Field(Child(ptr, key)), "is required");
  return *v;
}

StatusOr<std::optional<int>> OptInt(const json& obj, std::string_view key, const std::string& ptr) {
  LCB_ASSIGN_OR_RETURN(std::optional<int64_t> v, OptionalInt(obj, key, ptr, 0, kMaxSmallInt));
  if (!v) return std::optional<int>();
  return std::optional<int>(static_cast<int>(*v));
}

StatusOr<int> Int(const json& obj, std::string_view key, const std::string& ptr) {
  LCB_ASSIGN_OR_RETURN(std::optional<int> v, OptInt(obj, key, ptr));
  if (!v) return Status::InvalidArgument(Field(Child(ptr, key)), "is required");
  return *v;
}

// The array member `key` of `obj` (an empty array when absent and not `required`), each
// element parsed by `parse(element, pointer)`.
template <typename T, typename Parse>
StatusOr<std::vector<T>> List(const json& obj, std::string_view key, const std::string& ptr,
                              bool required, Parse parse) {
  std::vector<T> out;
  const std::string p = Child(ptr, key);
  auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return Status::InvalidArgument(Field(p), "is required");
    return out;
  }
  if (!it->is_array()) return Status::InvalidArgument(Field(p), "must be an array");
  for (size_t i = 0; i < it->size(); ++i) {
    LCB_ASSIGN_OR_RETURN(T value, parse((*it)[i], Item(p, i)));
    out.push_back(std::move(value));
  }
  return out;
}

StatusOr<std::string> ListText(const json& v, const std::string& ptr) {
  if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
    return Status::InvalidArgument(Field(ptr), "must be a non-empty string");
  }
  return v.get<std::string>();
}

// An object of name -> value (cap limits and counts), in the file's order.
template <typename T, typename Read>
StatusOr<std::vector<std::pair<std::string, T>>> Table(const json& obj, std::string_view key,
                                                       const std::string& ptr, Read read) {
  std::vector<std::pair<std::string, T>> out;
  auto it = obj.find(key);
  if (it == obj.end()) return out;
  LCB_RETURN_IF_ERROR(ExpectObject(*it, Child(ptr, key)));
  for (const auto& [name, value] : it->items()) {
    LCB_ASSIGN_OR_RETURN(T v, read(*it, name, Child(ptr, key)));
    out.emplace_back(name, v);
  }
  return out;
}

// ---- One object per kind -------------------------------------------------------------------

StatusOr<DemoInstitution> ParseInstitution(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(
      RejectUnknown(v, p, {"id", "name", "kind", "hours_per_credit", "certifies", "note"}));
  DemoInstitution inst;
  LCB_ASSIGN_OR_RETURN(inst.id, Text(v, "id", p));
  LCB_ASSIGN_OR_RETURN(inst.name, Text(v, "name", p));
  LCB_ASSIGN_OR_RETURN(inst.kind, Text(v, "kind", p));
  LCB_ASSIGN_OR_RETURN(inst.hours_per_credit, OptNumber(v, "hours_per_credit", p));
  LCB_ASSIGN_OR_RETURN(inst.certifies, List<std::string>(v, "certifies", p, false, ListText));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return inst;
}

StatusOr<DemoUnit> ParseUnit(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      v, p,
      {"id", "title", "kind", "credits", "level", "field", "hours", "validity_years", "note"}));
  DemoUnit u;
  LCB_ASSIGN_OR_RETURN(u.id, Text(v, "id", p));
  LCB_ASSIGN_OR_RETURN(u.title, Text(v, "title", p));
  LCB_ASSIGN_OR_RETURN(u.kind, Text(v, "kind", p));
  LCB_ASSIGN_OR_RETURN(u.credits, Number(v, "credits", p));
  LCB_ASSIGN_OR_RETURN(u.level, Int(v, "level", p));
  LCB_ASSIGN_OR_RETURN(u.field, Text(v, "field", p));
  LCB_ASSIGN_OR_RETURN(u.hours, OptNumber(v, "hours", p));
  LCB_ASSIGN_OR_RETURN(u.validity_years, OptInt(v, "validity_years", p));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return u;
}

StatusOr<DemoRequirement> ParseRequirement(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(v, p, {"id", "title", "kind", "credits", "note"}));
  DemoRequirement r;
  LCB_ASSIGN_OR_RETURN(r.id, Text(v, "id", p));
  LCB_ASSIGN_OR_RETURN(r.title, Text(v, "title", p));
  LCB_ASSIGN_OR_RETURN(r.kind, Text(v, "kind", p));
  LCB_ASSIGN_OR_RETURN(r.credits, Number(v, "credits", p));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return r;
}

StatusOr<DemoCap> ParseCap(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(v, p, {"by", "limits", "default_limit", "max_count", "note"}));
  DemoCap c;
  LCB_ASSIGN_OR_RETURN(c.by, Text(v, "by", p));
  LCB_ASSIGN_OR_RETURN(c.limits, Table<double>(v, "limits", p, Number));
  LCB_ASSIGN_OR_RETURN(c.default_limit, OptNumber(v, "default_limit", p));
  LCB_ASSIGN_OR_RETURN(c.max_count, Table<int>(v, "max_count", p, Int));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return c;
}

StatusOr<DemoPolicy> ParsePolicy(const json& program, const std::string& program_ptr) {
  DemoPolicy pol;
  auto it = program.find("policy");
  if (it == program.end()) return pol;
  const json& v = *it;
  const std::string p = Child(program_ptr, "policy");
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(v, p,
                                    {"max_transfer_credits", "max_transfer_ratio", "min_grade",
                                     "max_age_years", "caps", "note"}));
  LCB_ASSIGN_OR_RETURN(pol.max_transfer_credits, OptNumber(v, "max_transfer_credits", p));
  LCB_ASSIGN_OR_RETURN(pol.max_transfer_ratio, OptNumber(v, "max_transfer_ratio", p));
  LCB_ASSIGN_OR_RETURN(pol.min_grade, OptInt(v, "min_grade", p));
  LCB_ASSIGN_OR_RETURN(pol.max_age_years, OptInt(v, "max_age_years", p));
  LCB_ASSIGN_OR_RETURN(pol.caps, List<DemoCap>(v, "caps", p, false, ParseCap));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return pol;
}

StatusOr<DemoSource> ParseSource(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(
      RejectUnknown(v, p, {"unit", "kind", "field", "min_level", "min_credits", "issuer"}));
  DemoSource s;
  LCB_ASSIGN_OR_RETURN(s.unit, OptText(v, "unit", p));
  LCB_ASSIGN_OR_RETURN(s.kind, OptText(v, "kind", p));
  LCB_ASSIGN_OR_RETURN(s.field, OptText(v, "field", p));
  LCB_ASSIGN_OR_RETURN(s.min_level, OptInt(v, "min_level", p));
  LCB_ASSIGN_OR_RETURN(s.min_credits, OptNumber(v, "min_credits", p));
  LCB_ASSIGN_OR_RETURN(s.issuer, OptText(v, "issuer", p));
  return s;
}

StatusOr<DemoRule> ParseRule(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      v, p, {"id", "target", "grant", "sources", "min_grade", "max_age_years", "note"}));
  DemoRule r;
  LCB_ASSIGN_OR_RETURN(r.id, Text(v, "id", p));
  LCB_ASSIGN_OR_RETURN(r.target, Text(v, "target", p));
  LCB_ASSIGN_OR_RETURN(r.grant, Number(v, "grant", p));
  LCB_ASSIGN_OR_RETURN(r.sources, List<DemoSource>(v, "sources", p, true, ParseSource));
  LCB_ASSIGN_OR_RETURN(r.min_grade, OptInt(v, "min_grade", p));
  LCB_ASSIGN_OR_RETURN(r.max_age_years, OptInt(v, "max_age_years", p));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return r;
}

StatusOr<DemoProgram> ParseProgram(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      v, p, {"id", "title", "kind", "total_credits", "requirements", "policy", "rules", "note"}));
  DemoProgram prog;
  LCB_ASSIGN_OR_RETURN(prog.id, Text(v, "id", p));
  LCB_ASSIGN_OR_RETURN(prog.title, Text(v, "title", p));
  LCB_ASSIGN_OR_RETURN(prog.kind, Text(v, "kind", p));
  LCB_ASSIGN_OR_RETURN(prog.total_credits, Number(v, "total_credits", p));
  LCB_ASSIGN_OR_RETURN(prog.requirements,
                       List<DemoRequirement>(v, "requirements", p, true, ParseRequirement));
  LCB_ASSIGN_OR_RETURN(prog.policy, ParsePolicy(v, p));
  LCB_ASSIGN_OR_RETURN(prog.rules, List<DemoRule>(v, "rules", p, true, ParseRule));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return prog;
}

StatusOr<DemoRecord> ParseRecord(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      v, p, {"unit", "scale", "value", "completed_on", "issuer", "attendance", "hours", "note"}));
  DemoRecord r;
  LCB_ASSIGN_OR_RETURN(r.unit, Text(v, "unit", p));
  LCB_ASSIGN_OR_RETURN(r.scale, Text(v, "scale", p));
  LCB_ASSIGN_OR_RETURN(r.value, Text(v, "value", p));
  LCB_ASSIGN_OR_RETURN(r.completed_on, Text(v, "completed_on", p));
  LCB_ASSIGN_OR_RETURN(r.issuer, OptText(v, "issuer", p));
  LCB_ASSIGN_OR_RETURN(r.attendance, OptText(v, "attendance", p));
  LCB_ASSIGN_OR_RETURN(r.hours, OptNumber(v, "hours", p));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return r;
}

StatusOr<DemoLearner> ParseLearner(const json& v, const std::string& p) {
  LCB_RETURN_IF_ERROR(ExpectObject(v, p));
  LCB_RETURN_IF_ERROR(RejectUnknown(v, p, {"name", "national_id", "programs", "records", "note"}));
  DemoLearner l;
  LCB_ASSIGN_OR_RETURN(l.name, Text(v, "name", p));
  LCB_ASSIGN_OR_RETURN(l.national_id, Text(v, "national_id", p));
  LCB_ASSIGN_OR_RETURN(l.programs, List<std::string>(v, "programs", p, false, ListText));
  LCB_ASSIGN_OR_RETURN(l.records, List<DemoRecord>(v, "records", p, true, ParseRecord));
  LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
  return l;
}

// A revocation or correction before its learner and record are resolved.
struct RecordChange {
  std::string national_id;
  int record = 0;  // from 1, as in the external_ref
  std::string value;
  std::string reason;
};

auto ChangeParser(bool with_value) {
  return [with_value](const json& v, const std::string& p) -> StatusOr<RecordChange> {
    LCB_RETURN_IF_ERROR(ExpectObject(v, p));
    LCB_RETURN_IF_ERROR(with_value
                            ? RejectUnknown(v, p, {"learner", "record", "value", "reason", "note"})
                            : RejectUnknown(v, p, {"learner", "record", "reason", "note"}));
    RecordChange c;
    LCB_ASSIGN_OR_RETURN(c.national_id, Text(v, "learner", p));
    LCB_ASSIGN_OR_RETURN(c.record, Int(v, "record", p));
    if (with_value) {
      LCB_ASSIGN_OR_RETURN(c.value, Text(v, "value", p));
    }
    LCB_ASSIGN_OR_RETURN(c.reason, Text(v, "reason", p));
    LCB_RETURN_IF_ERROR(OptText(v, "note", p).status());
    return c;
  };
}

// ---- References ----------------------------------------------------------------------------

class Resolver {
 public:
  explicit Resolver(const DemoData& data) : data_(data) {
    for (const auto& i : data.institutions) institutions_.insert(i.id);
    for (const auto& p : data.programs) programs_.insert(p.id);
  }

  Status Check() {
    for (size_t i = 0; i < data_.units.size(); ++i) {
      LCB_RETURN_IF_ERROR(OwnedId(data_.units[i].id, Item("/units", i) + "/id"));
    }
    for (size_t i = 0; i < data_.programs.size(); ++i) {
      LCB_RETURN_IF_ERROR(OwnedId(data_.programs[i].id, Item("/programs", i) + "/id"));
    }
    for (size_t i = 0; i < data_.learners.size(); ++i) LCB_RETURN_IF_ERROR(Learner(i));
    return Status::Ok();
  }

  // The learner and record index of a change; `p` points at the change.
  StatusOr<std::pair<size_t, size_t>> Locate(const RecordChange& c, const std::string& p) const {
    auto it = by_national_id_.find(c.national_id);
    if (it == by_national_id_.end()) {
      return Status::InvalidArgument(Field(p + "/learner"),
                                     "no learner has national_id " + c.national_id);
    }
    const size_t count = data_.learners[it->second].records.size();
    if (c.record < 1 || static_cast<size_t>(c.record) > count) {
      return Status::InvalidArgument(Field(p + "/record"),
                                     "must be between 1 and " + std::to_string(count) +
                                         " (the learner's records, counted from 1)");
    }
    return std::make_pair(it->second, static_cast<size_t>(c.record - 1));
  }

 private:
  Status OwnedId(const std::string& id, const std::string& p) const {
    if (id.find(':') == std::string::npos) {
      return Status::InvalidArgument(Field(p), "must be \"<institution>:<code>\"");
    }
    return Institution(InstitutionOf(id), p);
  }

  Status Institution(const std::string& id, const std::string& p) const {
    if (!institutions_.contains(id)) {
      return Status::InvalidArgument(Field(p), "no institution \"" + id + "\" in /institutions");
    }
    return Status::Ok();
  }

  Status Learner(size_t i) {
    const DemoLearner& l = data_.learners[i];
    const std::string p = Item("/learners", i);
    if (!by_national_id_.emplace(l.national_id, i).second) {
      return Status::InvalidArgument(Field(p + "/national_id"), "named by another learner too");
    }
    for (size_t k = 0; k < l.programs.size(); ++k) {
      if (!programs_.contains(l.programs[k])) {
        return Status::InvalidArgument(Field(Item(p + "/programs", k)),
                                       "no program \"" + l.programs[k] + "\" in /programs");
      }
    }
    for (size_t k = 0; k < l.records.size(); ++k) {
      const DemoRecord& r = l.records[k];
      const std::string rp = Item(p + "/records", k);
      if (r.issuer) {
        LCB_RETURN_IF_ERROR(Institution(*r.issuer, rp + "/issuer"));
      } else {
        LCB_RETURN_IF_ERROR(OwnedId(r.unit, rp + "/unit"));
      }
    }
    return Status::Ok();
  }

  const DemoData& data_;
  std::set<std::string> institutions_;
  std::set<std::string> programs_;
  std::map<std::string, size_t> by_national_id_;
};

StatusOr<DemoData> ParseDocument(const json& doc) {
  LCB_RETURN_IF_ERROR(ExpectObject(doc, ""));
  LCB_RETURN_IF_ERROR(RejectUnknown(
      doc, "",
      {"about", "institutions", "units", "programs", "learners", "revocations", "corrections"}));
  LCB_RETURN_IF_ERROR(OptText(doc, "about", "").status());
  DemoData d;
  LCB_ASSIGN_OR_RETURN(d.institutions,
                       List<DemoInstitution>(doc, "institutions", "", true, ParseInstitution));
  LCB_ASSIGN_OR_RETURN(d.units, List<DemoUnit>(doc, "units", "", true, ParseUnit));
  LCB_ASSIGN_OR_RETURN(d.programs, List<DemoProgram>(doc, "programs", "", true, ParseProgram));
  LCB_ASSIGN_OR_RETURN(d.learners, List<DemoLearner>(doc, "learners", "", true, ParseLearner));
  LCB_ASSIGN_OR_RETURN(auto revocations,
                       List<RecordChange>(doc, "revocations", "", false, ChangeParser(false)));
  LCB_ASSIGN_OR_RETURN(auto corrections,
                       List<RecordChange>(doc, "corrections", "", false, ChangeParser(true)));
  Resolver refs(d);
  LCB_RETURN_IF_ERROR(refs.Check());
  for (size_t i = 0; i < revocations.size(); ++i) {
    LCB_ASSIGN_OR_RETURN(auto at, refs.Locate(revocations[i], Item("/revocations", i)));
    d.revocations.push_back({at.first, at.second, revocations[i].reason});
  }
  for (size_t i = 0; i < corrections.size(); ++i) {
    LCB_ASSIGN_OR_RETURN(auto at, refs.Locate(corrections[i], Item("/corrections", i)));
    d.corrections.push_back({at.first, at.second, corrections[i].value, corrections[i].reason});
  }
  return d;
}

}  // namespace

StatusOr<DemoData> ParseDemoData(std::string_view text) {
  LCB_ASSIGN_OR_RETURN(json doc, ParseIJson(text));
  return ParseDocument(doc);
}

StatusOr<DemoData> LoadDemoData(const std::string& path) {
  std::string text;
  if (path.empty()) {
    text = EmbeddedDemoJson();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot read the demo data file " + path);
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad() || content.str().size() > kMaxFileBytes) {
      return Status::InvalidArgument(Field(""), path + ": unreadable or larger than 64 MiB");
    }
    text = std::move(content).str();
  }
  StatusOr<DemoData> data = ParseDemoData(text);
  if (data.ok()) return data;
  // The message names the file and the pointer, so that printing message() is enough.
  const Status& s = data.status();
  const std::string source = path.empty() ? "the embedded demo data" : path;
  return Status::InvalidArgument(
      Field(s.pointer()),
      source + ": " + (s.pointer().empty() ? "" : s.pointer() + ": ") + s.message());
}

std::string DemoExternalRef(const DemoLearner& learner, size_t record) {
  char index[24];
  std::snprintf(index, sizeof index, "%02zu", record + 1);
  return "DEMO-" + learner.national_id + "-" + index;
}

std::string InstitutionOf(const std::string& id) { return id.substr(0, id.find(':')); }

std::string IssuerOf(const DemoRecord& r) { return r.issuer ? *r.issuer : InstitutionOf(r.unit); }

}  // namespace lcb::demo
