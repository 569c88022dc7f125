#include "storage/pg_codec.h"

#include <cassert>

#include "common/csv.h"  // FindInvalidUtf8

namespace lcb::pg {
namespace {

using P = Part;

// THE mapping from Kv tables to SQL tables (grammars as in storage/kv.h and storage/ledger.h).
// A table change is a line here, a line in each storage/sql/*.sql file (a new schema version),
// and nothing else: the DDL is checked against this table when PgKv opens.
const std::vector<TableCodec>& Codecs() {
  // The last field, log_append_only: see pg_codec.h (kCatalog is not: every record entry
  // rewrites its institution's "posted/" row; kMeta is not: the latest checkpoint and size).
  static const std::vector<TableCodec> kCodecs = {
      // GENERIC FALLBACK (no typed codec): kMeta's values have no common grammar, so it stays
      // (key bytea, value bytea). A table added to kv.h before it has a codec goes here too.
      {Table::kMeta, "kv_meta", {{P::kBytes, "key"}}, {{P::kBytes, "value"}}, true},
      {Table::kObjects, "objects", {{P::kText, "id"}}, {{P::kBe64, "leaf"}}, false, true},
      {Table::kUnique,
       "unique_keys",
       {{P::kText, "key"}},
       {{P::kBe64, "leaf"}, {P::kHash32, "fingerprint"}, {P::kText, "id"}},
       false,
       true},
      {Table::kLearnerRecords,
       "learner_records",
       {{P::kText0, "learner"}, {P::kBe64, "leaf"}},
       {{P::kText, "record_id"}},
       false,
       true},
      {Table::kLogLeaves, "log_leaves", {{P::kBe64, "leaf"}}, {{P::kBytes, "entry"}}, false, true},
      {Table::kLogNodes, "log_nodes", {{P::kBe64, "node"}}, {{P::kHash32, "hash"}}},
      {Table::kCheckpoints,
       "checkpoints",
       {{P::kBe64, "tree_size"}},
       {{P::kBytes, "note"}},
       false,
       true},
      {Table::kCatalog, "catalog", {{P::kText, "key"}}, {{P::kBytes, "doc"}}},
      {Table::kRulesets,
       "rulesets",
       {{P::kText0, "program"}, {P::kBe32, "version"}},
       {{P::kBe64, "leaf"}},
       false,
       true},
      {Table::kTokens, "tokens", {{P::kText, "key"}}, {{P::kBytes, "doc"}}},
      {Table::kLearners, "learners", {{P::kText, "key"}}, {{P::kBytes, "doc"}}},
      {Table::kGrants,
       "grants",
       {{P::kText0, "learner"}, {P::kText, "institution"}},
       {{P::kBytes, "doc"}}},
      {Table::kStatus,
       "record_status",
       {{P::kText, "record_id"}},
       {{P::kText, "revoked_by"}},
       false,
       true},
      {Table::kAdminLog, "admin_log", {{P::kBe64, "seq"}}, {{P::kBytes, "action"}}},
      {Table::kConversions,
       "conversions",
       {{P::kText0, "learner"}, {P::kBe64, "leaf"}},
       {{P::kText, "conversion_id"}},
       false,
       true},
      // level(1) BE64 tile index: no column type keeps that byte order portably but bytea.
      {Table::kLogTiles, "log_tiles", {{P::kBytes, "key"}}, {{P::kBytes, "tile"}}, true, true},
      {Table::kLogBundles,
       "log_bundles",
       {{P::kBe64, "tile"}},
       {{P::kBytes, "bundle"}},
       false,
       true},
  };
  return kCodecs;
}

Status Bad(const TableCodec& codec, const Column& column, std::string_view why) {
  return Status::InvalidArgument(
      Field(std::string(TableName(codec.table))),
      "table " + std::string(codec.sql_name) + ", " + column.name + ": " + std::string(why));
}

Status CheckText(const TableCodec& codec, const Column& column, std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return Bad(codec, column, "NUL in text");
  if (FindInvalidUtf8(text) != std::string_view::npos) return Bad(codec, column, "not UTF-8");
  return Status::Ok();
}

size_t FixedWidth(Part p) {
  switch (p) {
    case P::kBe64:
      return 8;
    case P::kBe32:
      return 4;
    case P::kHash32:
      return 32;
    default:
      return 0;
  }
}

std::string Widen32(std::string_view four) {
  std::string out(4, '\0');
  out.append(four);
  return out;
}

}  // namespace

const TableCodec& CodecOf(Table t) {
  const TableCodec& codec = Codecs()[static_cast<size_t>(t)];
  assert(codec.table == t);  // the list above is in the enum's order
  return codec;
}

Status Split(const TableCodec& codec, bool is_key, std::string_view bytes,
             std::vector<std::string_view>* parts) {
  const std::vector<Column>& grammar = is_key ? codec.key : codec.value;
  parts->clear();
  size_t pos = 0;
  for (const Column& c : grammar) {
    std::string_view rest = bytes.substr(pos);
    switch (c.part) {
      case P::kText0: {
        size_t nul = rest.find('\0');
        if (nul == std::string_view::npos) return Bad(codec, c, "no NUL after the text");
        LCB_RETURN_IF_ERROR(CheckText(codec, c, rest.substr(0, nul)));
        parts->push_back(rest.substr(0, nul));
        pos += nul + 1;
        break;
      }
      case P::kText:
        LCB_RETURN_IF_ERROR(CheckText(codec, c, rest));
        parts->push_back(rest);
        pos = bytes.size();
        break;
      case P::kBytes:
        parts->push_back(rest);
        pos = bytes.size();
        break;
      default: {
        const size_t width = FixedWidth(c.part);
        if (rest.size() < width) {
          return Bad(codec, c, "needs " + std::to_string(width) + " bytes");
        }
        if (is_key && c.part == P::kBe64 && (static_cast<unsigned char>(rest[0]) & 0x80)) {
          return Bad(codec, c, "must be below 2^63 (a non-negative bigint)");
        }
        parts->push_back(rest.substr(0, width));
        pos += width;
      }
    }
  }
  if (pos != bytes.size()) {
    return Bad(codec, grammar.back(), "unexpected bytes after the last part");
  }
  return Status::Ok();
}

void Bind(const std::vector<Column>& grammar, const std::vector<std::string_view>& parts,
          Params* params, std::deque<std::string>* scratch) {
  for (size_t i = 0; i < grammar.size(); ++i) {
    if (grammar[i].part == P::kBe32) {
      scratch->push_back(Widen32(parts[i]));
      params->Int8BigEndian(scratch->back());
    } else {
      params->Bytes(parts[i]);
    }
  }
}

void Join(const std::vector<Column>& grammar, const Result& result, int row, int first,
          std::string* out) {
  for (size_t i = 0; i < grammar.size(); ++i) {
    std::string_view v = result.Bytes(row, first + static_cast<int>(i));
    switch (grammar[i].part) {
      case P::kText0:
        out->append(v);
        out->push_back('\0');
        break;
      case P::kBe32:
        out->append(v.size() == 8 ? v.substr(4) : v);
        break;
      default:
        out->append(v);
    }
  }
}

void AppendTypes(const std::vector<Column>& grammar, std::vector<Type>* types) {
  for (const Column& c : grammar) {
    switch (c.part) {
      case P::kText0:
      case P::kText:
        types->push_back(Type::kText);
        break;
      case P::kBe64:
      case P::kBe32:
        types->push_back(Type::kInt8);
        break;
      case P::kHash32:
      case P::kBytes:
        types->push_back(Type::kBytea);
        break;
    }
  }
}

std::string ColumnList(const std::vector<Column>& grammar) {
  std::string out;
  for (const Column& c : grammar) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

// Walks `bytes` along the key grammar. At each part, a key K of the grammar compares with
// `bytes` as its part compares with the bytes at the same place, until one differs (see the
// proofs in docs/scale-out.md, "Scan bounds"): a part cut short by the end of `bytes` compares
// as its prefix (a text: t >= p; a be64: v >= the prefix padded with zeros; a bytea: itself),
// bytes left over after a whole key make any equal key smaller (strict), and a be64 at or above
// 2^63 is above every key (strict on the parts before it).
StatusOr<Bound> LowerBound(const TableCodec& codec, std::string_view bytes) {
  Bound b;
  size_t pos = 0;
  for (const Column& c : codec.key) {
    if (pos == bytes.size()) return b;
    std::string_view rest = bytes.substr(pos);
    switch (c.part) {
      case P::kText0: {
        size_t nul = rest.find('\0');
        std::string_view text = rest.substr(0, nul);
        if (FindInvalidUtf8(text) != std::string_view::npos) {
          return Bad(codec, c, "scan bound is not UTF-8");
        }
        b.parts.emplace_back(text);
        if (nul == std::string_view::npos) return b;
        pos += nul + 1;
        break;
      }
      case P::kText: {
        size_t nul = rest.find('\0');
        std::string_view text = rest.substr(0, nul);
        if (FindInvalidUtf8(text) != std::string_view::npos) {
          return Bad(codec, c, "scan bound is not UTF-8");
        }
        b.parts.emplace_back(text);
        b.strict = nul != std::string_view::npos;  // t >= p ‖ 0 ‖ … iff t > p
        return b;
      }
      case P::kBytes:
        b.parts.emplace_back(rest);
        return b;
      case P::kHash32:
        if (rest.size() < 32) {
          b.parts.emplace_back(rest);
          return b;
        }
        b.parts.emplace_back(rest.substr(0, 32));
        pos += 32;
        break;
      case P::kBe64:
      case P::kBe32: {
        const size_t width = FixedWidth(c.part);
        const bool cut = rest.size() < width;
        std::string v(rest.substr(0, width));
        v.resize(width, '\0');
        if (c.part == P::kBe64 && (static_cast<unsigned char>(v[0]) & 0x80)) {
          b.strict = true;
          return b;
        }
        b.parts.push_back(c.part == P::kBe32 ? Widen32(v) : v);
        if (cut) return b;
        pos += width;
        break;
      }
    }
  }
  b.strict = pos < bytes.size();
  return b;
}

}  // namespace lcb::pg
