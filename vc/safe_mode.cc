#include "vc/safe_mode.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "common/encoding.h"

namespace lcb::vc {
namespace {

using Json = nlohmann::json;

// ---- The known contexts (generated tables) -------------------------------------------------

struct TermDef {
  const char* term;
  const char* id;         // expanded IRI or keyword; nullptr = the term maps to null
  const char* type;       // type mapping or nullptr
  const char* container;  // "", "@set", "@graph", "@list", ... (comma-separated)
  bool is_protected;
  bool prefix;
  int scoped;  // -1 none, -2 "@context": null, else index into kContexts
};
struct ContextDef {
  const char* url;  // nullptr for a scoped context
  const char* vocab;
  const TermDef* terms;
  size_t count;
};
#include "vc/context_tables.inc"

constexpr int kNoScope = -1;
constexpr int kNullScope = -2;
constexpr int kMaxDepth = 100;

// ---- Active contexts -----------------------------------------------------------------------

struct Term {
  std::optional<std::string> id;  // nullopt: the term is defined as null (dropped)
  std::string type;
  std::string container;
  bool is_protected = false;
  bool prefix = false;
  int scoped = kNoScope;
  // Equal definitions may be repeated over protected ones (JSON-LD 1.1 §4.1.11).
  bool SameAs(const Term& o) const {
    return id == o.id && type == o.type && container == o.container && prefix == o.prefix &&
           scoped == o.scoped;
  }
};

struct ActiveContext;
using Ctx = std::shared_ptr<const ActiveContext>;
struct ActiveContext {
  std::map<std::string, Term, std::less<>> terms;
  std::optional<std::string> vocab;
  Ctx previous;  // the context before non-propagating (type-scoped) contexts were applied
  const Term* Find(std::string_view t) const {
    const auto it = terms.find(t);
    return it == terms.end() ? nullptr : &it->second;
  }
};

bool IsKeyword(std::string_view v) {
  static const std::set<std::string_view> kKeywords = {
      "@base",   "@container", "@context", "@direction", "@graph",     "@id",
      "@import", "@included",  "@index",   "@json",      "@language",  "@list",
      "@nest",   "@none",      "@prefix",  "@propagate", "@protected", "@reverse",
      "@set",    "@type",      "@value",   "@version",   "@vocab"};
  return kKeywords.count(v) > 0;
}

bool LooksLikeKeyword(std::string_view v) {
  if (v.size() < 2 || v[0] != '@') return false;
  return std::all_of(v.begin() + 1, v.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// jsonld.js url.isAbsolute: /^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$/ ("+-." is the range + , - .)
bool IsAbsoluteIri(std::string_view v) {
  const size_t colon = v.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view scheme = v.substr(0, colon);
  if (scheme != "_") {
    const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(scheme[0])) return false;
    for (char c : scheme) {
      if (!alpha(c) && !(c >= '0' && c <= '9') && !(c >= '+' && c <= '.')) return false;
    }
  }
  return std::none_of(v.begin() + colon + 1, v.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

// IRI expansion as jsonld.js _expandIri does it, without a base IRI (the VC stacks expand with
// base null): returns the expansion (possibly still relative), or nullopt for a null mapping or
// a keyword-like value.
std::optional<std::string> ExpandIri(const ActiveContext& ctx, std::string_view v, bool vocab) {
  if (IsKeyword(v)) return std::string(v);
  if (LooksLikeKeyword(v)) return std::nullopt;
  if (vocab) {
    if (const Term* t = ctx.Find(v)) return t->id;
  }
  const size_t colon = v.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    const std::string_view prefix = v.substr(0, colon);
    const std::string_view suffix = v.substr(colon + 1);
    if (prefix == "_" || suffix.substr(0, 2) == "//") return std::string(v);
    const Term* p = ctx.Find(prefix);
    if (p != nullptr && p->prefix && p->id) return *p->id + std::string(suffix);
    if (IsAbsoluteIri(v)) return std::string(v);
  }
  if (vocab && ctx.vocab) return *ctx.vocab + std::string(v);
  return std::string(v);
}

Status Refuse(const std::string& pointer, std::string message) {
  return Status::InvalidArgument(Field(pointer), "JSON-LD safe mode: " + std::move(message));
}

// ---- The checker ---------------------------------------------------------------------------

class Checker {
 public:
  Status Walk(const Json& element, const Ctx& ctx, const std::string* active_property,
              const std::string& pointer, bool inside_list, int depth);

 private:
  Status ApplyContext(Ctx* ctx, const Json& local, const std::string& pointer, bool propagate,
                      bool override_protected);
  Status Define(ActiveContext* out, const std::string& term, Term def, bool override_protected,
                const std::string& pointer);
  Status ApplyKnown(ActiveContext* out, int index, bool override_protected,
                    const std::string& pointer);
  Status ApplyInline(ActiveContext* out, const Json& local, bool override_protected,
                     const std::string& pointer);
  Status ApplyScoped(Ctx* ctx, int scoped, bool propagate, bool override_protected,
                     const std::string& pointer);
  Status InlineTerm(ActiveContext* out, const std::string& term, const Json& value, bool protect,
                    bool override_protected, const std::string& at);
  Status WalkObject(const Json& element, Ctx ctx, const std::string* active_property,
                    const std::string& pointer, bool inside_list, int depth);
  Status NodeContext(const Json& element, const std::vector<std::string>& keys, int property_scope,
                     const std::string& pointer, Ctx* ctx, Ctx* type_scoped);
  Status Member(const std::string& key, const Json& value, const std::string& expanded,
                const Ctx& ctx, const ActiveContext& type_scoped, const std::string& at, int depth);
  Status CheckNotDropped(const std::set<std::string>& expanded_keys, bool graph_like,
                         const std::string& pointer);
  Status CheckTypes(const Json& value, const ActiveContext& type_scoped,
                    const std::string& pointer);
};

Status Checker::Define(ActiveContext* out, const std::string& term, Term def,
                       bool override_protected, const std::string& pointer) {
  if (LooksLikeKeyword(term) || IsKeyword(term)) {
    return Refuse(pointer, "a context may not define the keyword-like term \"" + term + "\"");
  }
  const auto it = out->terms.find(term);
  if (it != out->terms.end() && it->second.is_protected && !override_protected) {
    if (!it->second.SameAs(def)) {
      return Refuse(pointer, "the protected term \"" + term + "\" is redefined");
    }
    return Status::Ok();  // the protected definition stays
  }
  out->terms[term] = std::move(def);
  return Status::Ok();
}

Status Checker::ApplyKnown(ActiveContext* out, int index, bool override_protected,
                           const std::string& pointer) {
  const ContextDef& c = kContexts[index];
  for (size_t i = 0; i < c.count; ++i) {
    const TermDef& d = c.terms[i];
    if (d.term == nullptr) continue;
    Term t;
    if (d.id != nullptr) t.id = d.id;
    t.type = d.type != nullptr ? d.type : "";
    t.container = d.container;
    t.is_protected = d.is_protected;
    t.prefix = d.prefix;
    t.scoped = d.scoped;
    LCB_RETURN_IF_ERROR(Define(out, d.term, std::move(t), override_protected, pointer));
  }
  if (c.vocab != nullptr) out->vocab = c.vocab;
  return Status::Ok();
}

// An embedded context object, in the subset documented in safe_mode.h.
Status Checker::ApplyInline(ActiveContext* out, const Json& local, bool override_protected,
                            const std::string& pointer) {
  bool protect = false;
  if (const auto p = local.find("@protected"); p != local.end()) {
    if (!p->is_boolean()) return Refuse(pointer + "/@protected", "@protected must be a boolean");
    protect = p->get<bool>();
  }
  if (const auto v = local.find("@version"); v != local.end() && *v != Json(1.1)) {
    return Refuse(pointer + "/@version", "@version must be 1.1");
  }
  if (const auto v = local.find("@vocab"); v != local.end()) {
    if (v->is_null()) {
      out->vocab.reset();
    } else if (!v->is_string()) {
      return Refuse(pointer + "/@vocab", "@vocab must be an IRI");
    } else {
      std::optional<std::string> iri = ExpandIri(*out, v->get<std::string>(), true);
      if (!iri || !IsAbsoluteIri(*iri)) return Refuse(pointer + "/@vocab", "relative @vocab");
      out->vocab = *iri;
    }
  }
  for (auto it = local.begin(); it != local.end(); ++it) {
    const std::string& term = it.key();
    if (term == "@protected" || term == "@version" || term == "@vocab") continue;
    LCB_RETURN_IF_ERROR(InlineTerm(out, term, *it, protect, override_protected,
                                   pointer + "/" + JsonPointerEscape(term)));
  }
  return Status::Ok();
}

// One term definition of an embedded context: a string, null, or an object with @id, @type,
// @container (@set, @list or @graph) and @protected.
Status Checker::InlineTerm(ActiveContext* out, const std::string& term, const Json& value,
                           bool protect, bool override_protected, const std::string& at) {
  if (!term.empty() && term[0] == '@' && IsKeyword(term)) {
    return Refuse(at, term + " in an embedded context is not supported here");
  }
  Term def;
  def.is_protected = protect;
  if (value.is_null()) return Define(out, term, std::move(def), override_protected, at);
  std::optional<std::string> raw_id;
  if (value.is_string()) {
    raw_id = value.get<std::string>();
  } else if (value.is_object()) {
    for (auto m = value.begin(); m != value.end(); ++m) {
      const std::string& k = m.key();
      if (k == "@id" && m->is_string()) {
        raw_id = m->get<std::string>();
      } else if (k == "@type" && m->is_string()) {
        def.type = m->get<std::string>();
      } else if (k == "@container" && m->is_string() &&
                 (*m == "@set" || *m == "@list" || *m == "@graph")) {
        def.container = m->get<std::string>();
      } else if (k == "@protected" && m->is_boolean()) {
        def.is_protected = m->get<bool>();
      } else {
        return Refuse(at + "/" + JsonPointerEscape(k),
                      "this term definition member is not supported here");
      }
    }
  } else {
    return Refuse(at, "a term definition is a string, an object or null");
  }
  if (raw_id && IsKeyword(*raw_id)) {
    def.id = *raw_id;
  } else {
    std::optional<std::string> iri = ExpandIri(*out, raw_id ? *raw_id : term, /*vocab=*/true);
    if (!iri || !IsAbsoluteIri(*iri)) {
      return Refuse(at, "the term \"" + term + "\" does not map to an absolute IRI");
    }
    def.id = *iri;
    def.prefix = value.is_string() && term.find(':') == std::string::npos && !iri->empty() &&
                 std::string_view(":/?#[]@").find(iri->back()) != std::string_view::npos;
  }
  if (!def.type.empty() && def.type != "@id" && def.type != "@vocab" && def.type != "@json" &&
      def.type != "@none") {
    std::optional<std::string> type = ExpandIri(*out, def.type, true);
    if (!type || !IsAbsoluteIri(*type)) return Refuse(at + "/@type", "relative type mapping");
    def.type = *type;
  }
  return Define(out, term, std::move(def), override_protected, at);
}

Status Checker::ApplyContext(Ctx* ctx, const Json& local, const std::string& pointer,
                             bool propagate, bool override_protected) {
  auto next = std::make_shared<ActiveContext>(**ctx);
  if (!propagate && !next->previous) next->previous = *ctx;
  const Json list = local.is_array() ? local : Json::array({local});
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& c = list[i];
    const std::string at = local.is_array() ? pointer + "/" + std::to_string(i) : pointer;
    if (c.is_null()) {
      const bool any_protected = std::any_of(next->terms.begin(), next->terms.end(),
                                             [](const auto& t) { return t.second.is_protected; });
      if (any_protected && !override_protected) {
        return Refuse(at, "a context with protected terms cannot be nullified");
      }
      next = std::make_shared<ActiveContext>();
    } else if (c.is_string()) {
      const auto known =
          std::find_if(std::begin(kContexts), std::end(kContexts),
                       [&](const ContextDef& d) { return d.url != nullptr && c == d.url; });
      if (known == std::end(kContexts)) {
        return Refuse(at, "unknown context " + c.get<std::string>() +
                              " (only the known VC, Data Integrity, status list and Open "
                              "Badges contexts are loaded)");
      }
      LCB_RETURN_IF_ERROR(ApplyKnown(next.get(), static_cast<int>(known - std::begin(kContexts)),
                                     override_protected, at));
    } else if (c.is_object()) {
      LCB_RETURN_IF_ERROR(ApplyInline(next.get(), c, override_protected, at));
    } else {
      return Refuse(at, "a context is a URL, an object or null");
    }
  }
  *ctx = std::move(next);
  return Status::Ok();
}

Status Checker::CheckTypes(const Json& value, const ActiveContext& type_scoped,
                           const std::string& pointer) {
  const Json list = value.is_array() ? value : Json::array({value});
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = value.is_array() ? pointer + "/" + std::to_string(i) : pointer;
    if (!list[i].is_string()) return Refuse(at, "a type must be a string");
    std::optional<std::string> iri = ExpandIri(type_scoped, list[i].get<std::string>(), true);
    if (!iri || (*iri != "@json" && !IsAbsoluteIri(*iri))) {
      return Refuse(
          at, "the type \"" + list[i].get<std::string>() + "\" is defined by no active context");
    }
  }
  return Status::Ok();
}

Status Checker::Walk(const Json& element, const Ctx& ctx, const std::string* active_property,
                     const std::string& pointer, bool inside_list, int depth) {
  if (depth > kMaxDepth) return Refuse(pointer, "nested too deeply");
  const bool graph_like = active_property == nullptr || ExpandIri(*ctx, *active_property, true) ==
                                                            std::optional<std::string>("@graph");
  if (element.is_array()) {
    const Term* t = active_property ? ctx->Find(*active_property) : nullptr;
    const bool list = inside_list || (t && t->container.find("@list") != std::string::npos);
    for (size_t i = 0; i < element.size(); ++i) {
      LCB_RETURN_IF_ERROR(Walk(element[i], ctx, active_property, pointer + "/" + std::to_string(i),
                               list, depth + 1));
    }
    return Status::Ok();
  }
  if (!element.is_object()) {
    if (element.is_null()) return Status::Ok();
    if (!inside_list && graph_like) return Refuse(pointer, "a free-floating value is dropped");
    return Status::Ok();
  }
  return WalkObject(element, ctx, active_property, pointer, inside_list, depth);
}

// The node's active context, as jsonld.js builds it before reading the node's members: revert
// type-scoped contexts (except for value objects and node references), then the property-scoped
// context, the embedded @context, and the type-scoped contexts of the node's types in sorted
// order. *type_scoped is the context before the last step (types expand in it).
Status Checker::NodeContext(const Json& element, const std::vector<std::string>& keys,
                            int property_scope, const std::string& pointer, Ctx* ctx,
                            Ctx* type_scoped) {
  bool revert = true;
  if ((*ctx)->previous && element.size() <= 2 && !element.contains("@context")) {
    for (const std::string& key : keys) {
      const std::optional<std::string> k = ExpandIri(**ctx, key, true);
      if (k == std::optional<std::string>("@value")) revert = false;
      if (k == std::optional<std::string>("@id") && element.size() == 1) revert = false;
    }
  }
  if (revert && (*ctx)->previous) *ctx = (*ctx)->previous;
  if (property_scope != kNoScope) {
    LCB_RETURN_IF_ERROR(ApplyScoped(ctx, property_scope, true, true, pointer));
  }
  if (const auto local = element.find("@context"); local != element.end()) {
    LCB_RETURN_IF_ERROR(ApplyContext(ctx, *local, pointer + "/@context", true, false));
  }
  *type_scoped = *ctx;
  for (const std::string& key : keys) {
    if (key == "@context" ||
        ExpandIri(**type_scoped, key, true) != std::optional<std::string>("@type")) {
      continue;
    }
    const Json& value = element[key];
    std::vector<std::string> types;
    for (const Json& t : value.is_array() ? value : Json::array({value})) {
      if (t.is_string()) types.push_back(t.get<std::string>());
    }
    std::sort(types.begin(), types.end());
    for (const std::string& type : types) {
      const Term* t = (*type_scoped)->Find(type);
      if (t != nullptr && t->scoped != kNoScope) {
        LCB_RETURN_IF_ERROR(
            ApplyScoped(ctx, t->scoped, false, false, pointer + "/" + JsonPointerEscape(key)));
      }
    }
  }
  return Status::Ok();
}

// One member of a node: its key must expand to an absolute IRI or a keyword, keyword values
// must be well formed, and property values are walked in turn.
Status Checker::Member(const std::string& key, const Json& value, const std::string& expanded,
                       const Ctx& ctx, const ActiveContext& type_scoped, const std::string& at,
                       int depth) {
  if (expanded == "@id") {
    if (!value.is_string()) return Refuse(at, "@id must be a string");
    const std::optional<std::string> id = ExpandIri(*ctx, value.get<std::string>(), false);
    if (!id || !IsAbsoluteIri(*id)) return Refuse(at, "@id must be an absolute IRI");
  } else if (expanded == "@type") {
    return CheckTypes(value, type_scoped, at);
  } else if (expanded == "@value") {
    if (value.is_null()) return Refuse(at, "@value is null");
    if (value.is_object() || value.is_array()) return Refuse(at, "@value must be a scalar");
  } else if (expanded == "@language") {
    static const std::regex kTag("^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$");
    if (!value.is_string() || !std::regex_match(value.get<std::string>(), kTag)) {
      return Refuse(at, "@language must be a well-formed language tag");
    }
  } else if (expanded == "@graph" || expanded == "@list" || expanded == "@set" ||
             expanded == "@included") {
    return Walk(value, ctx, &key, at, expanded == "@list", depth + 1);
  } else if (expanded == "@reverse" || expanded == "@nest" || expanded == "@index") {
    return Refuse(at, expanded + " is not supported here");
  } else if (expanded == "@direction" || expanded == "@json" || expanded == "@none") {
    return Status::Ok();  // values only
  } else {
    const Term* t = ctx->Find(key);
    if (!(t && t->type == "@json")) return Walk(value, ctx, &key, at, false, depth + 1);
  }
  return Status::Ok();
}

Status Checker::WalkObject(const Json& element, Ctx ctx, const std::string* active_property,
                           const std::string& pointer, bool inside_list, int depth) {
  const Term* prop = active_property ? ctx->Find(*active_property) : nullptr;
  const bool graph_like =
      active_property == nullptr || (prop && prop->container.find("@graph") != std::string::npos) ||
      ExpandIri(*ctx, *active_property, true) == std::optional<std::string>("@graph");
  std::vector<std::string> keys;
  for (auto it = element.begin(); it != element.end(); ++it) keys.push_back(it.key());
  std::sort(keys.begin(), keys.end());
  Ctx type_scoped;
  LCB_RETURN_IF_ERROR(
      NodeContext(element, keys, prop ? prop->scoped : kNoScope, pointer, &ctx, &type_scoped));

  std::set<std::string> expanded_keys;
  for (const std::string& key : keys) {
    if (key == "@context") continue;
    const std::string at = pointer + "/" + JsonPointerEscape(key);
    const Json& value = element[key];
    const std::optional<std::string> expanded = ExpandIri(*ctx, key, true);
    if (!expanded || !(IsAbsoluteIri(*expanded) || IsKeyword(*expanded))) {
      return Refuse(at, "the property \"" + key + "\" is defined by no active context");
    }
    LCB_RETURN_IF_ERROR(Member(key, value, *expanded, ctx, *type_scoped, at, depth));
    if (!value.is_null() || *expanded == "@value") expanded_keys.insert(*expanded);
  }
  return CheckNotDropped(expanded_keys, graph_like && !inside_list, pointer);
}

// What expansion drops at the top level, in @graph or under a @graph container, and anywhere.
Status Checker::CheckNotDropped(const std::set<std::string>& expanded_keys, bool graph_like,
                                const std::string& pointer) {
  if (graph_like) {
    const size_t count = expanded_keys.size();
    if (count == 0) return Refuse(pointer, "an empty object is dropped");
    if (expanded_keys.count("@value") || expanded_keys.count("@list")) {
      return Refuse(pointer, "a value or list object here is dropped");
    }
    if (count == 1 && expanded_keys.count("@id")) {
      return Refuse(pointer, "an object with only an id is dropped");
    }
  }
  if (expanded_keys.size() == 1 && expanded_keys.count("@language")) {
    return Refuse(pointer, "an object with only @language is dropped");
  }
  return Status::Ok();
}

// A table's scoped context (an index, or kNullScope: back to the empty context).
Status Checker::ApplyScoped(Ctx* ctx, int scoped, bool propagate, bool override_protected,
                            const std::string& pointer) {
  auto next = std::make_shared<ActiveContext>(**ctx);
  if (!propagate && !next->previous) next->previous = *ctx;
  if (scoped == kNullScope) {
    const bool any_protected = std::any_of(next->terms.begin(), next->terms.end(),
                                           [](const auto& t) { return t.second.is_protected; });
    if (any_protected && !override_protected) {
      return Refuse(pointer, "a context with protected terms cannot be nullified");
    }
    next = std::make_shared<ActiveContext>();
  } else {
    LCB_RETURN_IF_ERROR(ApplyKnown(next.get(), scoped, override_protected, pointer));
  }
  *ctx = std::move(next);
  return Status::Ok();
}

}  // namespace

Status CheckJsonLdSafeMode(const Json& document) {
  Checker checker;
  return checker.Walk(document, std::make_shared<const ActiveContext>(), nullptr, "", false, 0);
}

std::vector<std::string_view> KnownContextUrls() {
  std::vector<std::string_view> urls;
  for (const ContextDef& c : kContexts) {
    if (c.url != nullptr) urls.push_back(c.url);
  }
  return urls;
}

}  // namespace lcb::vc
