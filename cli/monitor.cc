#include "cli/monitor.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/rest_client.h"
#include "common/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/ijson.h"
#include "crypto/tiles.h"
#include "service/files.h"

namespace lcb {
namespace {

using json = nlohmann::json;

// Reads back the frontier's complete subtrees (largest first) for Frontier::Load.
class SavedNodes final : public NodeReader {
 public:
  SavedNodes(uint64_t size, const std::vector<Hash>& hashes) {
    uint64_t pos = 0;
    size_t k = 0;
    for (int level = 63; level >= 0 && k < hashes.size(); --level) {
      const uint64_t span = uint64_t{1} << level;
      if ((size & span) == 0) continue;
      nodes_[{level, pos >> level}] = hashes[k++];
      pos += span;
    }
  }
  StatusOr<Hash> Node(int level, uint64_t index) override {
    auto it = nodes_.find({level, index});
    if (it == nodes_.end()) return Status::DataLoss("monitor state lacks a frontier node");
    return it->second;
  }

 private:
  std::map<std::pair<int, uint64_t>, Hash> nodes_;
};

std::string StatePath(const MonitorOptions& o) { return o.state_dir + "/monitor.json"; }

}  // namespace

EntryLabels ScanEntryLabels(std::string_view e) {
  EntryLabels out;
  int depth = 0;
  size_t i = 0;
  // The index of the quote that closes the string opened at e[open] (memchr to each quote,
  // then an even run of backslashes before it), or e.size(). Most of an entry's bytes are in
  // strings (hashes, names), so this is where the scan spends its time.
  auto string_end = [&](size_t open) {
    size_t from = open + 1;
    while (from < e.size()) {
      const void* q = std::memchr(e.data() + from, '"', e.size() - from);
      if (q == nullptr) break;
      const size_t at = static_cast<const char*>(q) - e.data();
      size_t backslashes = 0;
      while (at - backslashes > open + 1 && e[at - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return at;
      from = at + 1;
    }
    return e.size();
  };
  while (i < e.size()) {
    const char c = e[i];
    if (c == '"') {
      const size_t end = string_end(i);
      if (depth == 1 && end + 2 < e.size() && e[end + 1] == ':' && e[end + 2] == '"') {
        const std::string_view key = e.substr(i + 1, end - i - 1);
        const size_t value_end = string_end(end + 2);
        std::string* dst = key == "type" ? &out.type : key == "issuer" ? &out.issuer : nullptr;
        if (dst != nullptr) dst->assign(e.substr(end + 3, value_end - end - 3));
        i = value_end + 1;
      } else {
        i = end + 1;
      }
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ++i;
  }
  return out;
}

StatusOr<std::unique_ptr<Monitor>> Monitor::Open(MonitorOptions options) {
  std::unique_ptr<Monitor> m(new Monitor());
  m->options_ = std::move(options);
  LCB_RETURN_IF_ERROR(MakeDirs(m->options_.state_dir));
  LCB_ASSIGN_OR_RETURN(
      m->http_, RestClient::Connect(m->options_.server, m->options_.ca, m->options_.insecure));
  LCB_RETURN_IF_ERROR(m->LoadState());
  return m;
}

Monitor::~Monitor() = default;

Status Monitor::LoadState() {
  std::ifstream in(StatePath(options_));
  if (!in) return Status::Ok();  // first run
  std::stringstream ss;
  ss << in.rdbuf();
  auto parsed = ParseIJson(ss.str());
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::DataLoss(StatePath(options_) + " is not the monitor's state");
  }
  const json& s = *parsed;
  try {
    origin_ = s.at("origin").get<std::string>();
    vkey_ = s.at("vkey").get<std::string>();
    const uint64_t size = s.at("size").get<uint64_t>();
    std::vector<Hash> hashes;
    for (const auto& h : s.at("frontier")) {
      auto hash = HashFromHex(h.get<std::string>());
      if (!hash) return Status::DataLoss("monitor state: bad frontier hash");
      hashes.push_back(*hash);
    }
    SavedNodes nodes(size, hashes);
    LCB_ASSIGN_OR_RETURN(frontier_, Frontier::Load(size, nodes));
    if (HashHex(frontier_.Root()) != s.at("root").get<std::string>()) {
      return Status::DataLoss("monitor state: the frontier does not give the saved root");
    }
    for (const auto& [k, v] : s.at("counts").items()) counts_[k] = v.get<uint64_t>();
    entries_checked_ = s.value("entries_checked", uint64_t{0});
    known_note_ = s.value("checkpoint", std::string());
  } catch (const json::exception& e) {
    return Status::DataLoss("monitor state: " + std::string(e.what()));
  }
  return Status::Ok();
}

Status Monitor::SaveState(const std::string& note) const {
  json s = {{"origin", origin_},        {"vkey", vkey_},
            {"size", frontier_.size()}, {"root", HashHex(frontier_.Root())},
            {"counts", counts_},        {"entries_checked", entries_checked_},
            {"checkpoint", note}};
  json hashes = json::array();
  for (const StoredNode& n : frontier_.Nodes()) hashes.push_back(HashHex(n.hash));
  s["frontier"] = hashes;
  return WriteSecretFile(StatePath(options_), s.dump() + "\n", /*overwrite=*/true);
}

StatusOr<std::string> Monitor::Get(const std::string& path, bool auth) {
  LCB_ASSIGN_OR_RETURN(ClientResponse r, http_->Send("GET", path, auth ? options_.token : ""));
  if (r.status != 200) {
    // A 5xx is the server failing to answer (Unavailable: nothing judged, as a network error
    // or a timeout after the RestClient's retries); a 4xx is an answer (a token the tiles
    // refuse, a path the server does not have).
    const StatusCode code = r.status >= 500                      ? StatusCode::kUnavailable
                            : r.status == 401 || r.status == 403 ? StatusCode::kPermissionDenied
                                                                 : StatusCode::kNotFound;
    return Status(code, "GET " + path + " answered " + std::to_string(r.status) + ": " +
                            r.body.substr(0, 200));
  }
  return std::move(r.body);
}

Status Monitor::EnsureVerifier() {
  if (!options_.log_vkey.empty()) {
    // A key given that differs from the pinned one is the operator's answer to a rotation
    // ("key_changed" below): the checkpoint is then verified with it, and the tree still has to
    // extend the one the state holds, so no history can be rewritten under the new key.
    if (!vkey_.empty() && vkey_ != options_.log_vkey) {
      std::fprintf(stderr,
                   "creditbank monitor: the key in the state (%s) is replaced by --log-vkey\n",
                   vkey_.c_str());
    }
    vkey_ = options_.log_vkey;
  }
  if (vkey_.empty()) {  // trust on first use, then pinned in the state
    LCB_ASSIGN_OR_RETURN(std::string body, Get("/v1/log/key", false));
    json k = json::parse(body, nullptr, false);
    if (k.is_discarded() || !k.contains("verifier_key") || !k["verifier_key"].is_string()) {
      return Status::DataLoss("GET /v1/log/key has no verifier_key");
    }
    vkey_ = k["verifier_key"].get<std::string>();
  }
  LCB_ASSIGN_OR_RETURN(verifier_, ParseVerifierKey(vkey_));
  if (!origin_.empty() && origin_ != verifier_.name) {
    return Status::FailedPrecondition("the log key names " + verifier_.name + ", the state " +
                                      origin_);
  }
  origin_ = verifier_.name;
  return Status::Ok();
}

Status Monitor::Rewrite(const std::string& reason, uint64_t size, const std::string& root_hex,
                        const std::string& note, const char* event) {
  json j = {{"event", event},
            {"reason", reason},
            {"origin", origin_},
            {"known_size", frontier_.size()},
            {"known_root", HashHex(frontier_.Root())},
            {"size", size},
            {"server", options_.server}};
  if (!root_hex.empty()) j["root"] = root_hex;
  // The signed note that contradicts the state: with the state's own checkpoint, the evidence
  // of a split view that anyone can check with the log's key.
  if (!note.empty()) {
    j["checkpoint"] = note;
    j["known_checkpoint"] = known_note_;
  }
  rewrite_json_ = j.dump();
  return Status::DataLoss(reason);
}

// The checkpoint does not verify with the pinned key, after entries did: either the log rotated
// its key (it lists the pinned key as retired), which the operator confirms with --log-vkey, or
// something answers that is not the log. Neither is evidence that history was rewritten.
Status Monitor::Unverified(const std::string& why) {
  std::string reason = "the checkpoint is not signed by the pinned key " + vkey_ + ": " + why;
  const char* event = "bad_signature";
  auto body = Get("/v1/log/key", false);
  json k = body.ok() ? json::parse(*body, nullptr, false) : json();
  if (k.is_object() && k.contains("keys") && k["keys"].is_array()) {
    for (const json& row : k["keys"]) {
      if (!row.is_object() || row.value("verifier_key", "") != vkey_) continue;
      if (row.contains("valid_until")) {
        event = "key_changed";
        reason = "the log says it retired the pinned key at " +
                 row.value("valid_until", std::string()) + " and signs with " +
                 k.value("verifier_key", std::string()) +
                 "; if you trust that, run again with --log-vkey set to it";
      }
    }
  }
  return Rewrite(reason, 0, "", "", event);
}

Status Monitor::ReadEntries(uint64_t size, Frontier* frontier,
                            std::map<std::string, uint64_t>* counts) {
  for (uint64_t tile = frontier->size() / kTileWidth; frontier->size() < size; ++tile) {
    const uint32_t width = TileWidthAt(0, tile, size);
    LCB_ASSIGN_OR_RETURN(std::string bundle, Get("/log/" + EntryBundlePath(tile, width), true));
    LCB_ASSIGN_OR_RETURN(std::string hashes, Get("/log/" + TilePath(0, tile, width), false));
    auto entries = SplitBundle(bundle);
    if (!entries.ok() || entries->size() != width || hashes.size() != width * sizeof(Hash)) {
      return Rewrite("tile " + std::to_string(tile) + " does not hold " + std::to_string(width) +
                         " entries and hashes",
                     size, "");
    }
    for (uint32_t k = static_cast<uint32_t>(frontier->size() - tile * kTileWidth); k < width; ++k) {
      const Hash leaf = LeafHash((*entries)[k]);
      if (std::string_view(hashes).substr(k * sizeof(Hash), sizeof(Hash)) != HashBytes(leaf)) {
        return Rewrite(
            "entry " + std::to_string(tile * kTileWidth + k) + " does not match its leaf hash",
            size, "");
      }
      frontier->Append(leaf, nullptr);
      const EntryLabels labels = ScanEntryLabels((*entries)[k]);
      const bool by_issuer = (labels.type == "record" || labels.type == "revocation");
      ++(*counts)[by_issuer && !labels.issuer.empty() ? labels.issuer : labels.type];
    }
  }
  return Status::Ok();
}

StatusOr<MonitorPoll> Monitor::Poll() {
  rewrite_json_.clear();
  LCB_RETURN_IF_ERROR(EnsureVerifier());
  LCB_ASSIGN_OR_RETURN(std::string note, Get("/log/checkpoint", false));
  auto opened = OpenNote(note, {verifier_});
  if (!opened.ok() && frontier_.size() == 0) {
    // Nothing was ever verified with this key: a key given wrong (or a server that is not the
    // log meant), not history rewritten. A key that verified entries before and no longer
    // verifies is the alarm below.
    return Status::FailedPrecondition("the log's checkpoint is not signed by the key " +
                                      verifier_.name + ": " + opened.status().message() +
                                      " (check --log-vkey and --server)");
  }
  if (!opened.ok()) return Unverified(opened.status().message());
  auto cp = ParseCheckpointBody(opened->text);
  if (!cp.ok() || cp->origin != origin_) return Rewrite("checkpoint does not parse", 0, "");
  const std::string root_hex = HashHex(cp->root);
  MonitorPoll poll{frontier_.size(), cp->size, 0};
  if (cp->size < frontier_.size()) {
    return Rewrite("the log shrank: a signed checkpoint is smaller than one seen", cp->size,
                   root_hex, note);
  }
  Frontier next = frontier_;
  std::map<std::string, uint64_t> counts = counts_;
  LCB_RETURN_IF_ERROR(ReadEntries(cp->size, &next, &counts));
  if (next.Root() != cp->root) {
    return Rewrite(cp->size == frontier_.size()
                       ? "a signed checkpoint has another root at a size already seen"
                       : "a signed checkpoint is not an extension of the tree seen",
                   cp->size, root_hex, note);
  }
  poll.new_entries = cp->size - frontier_.size();
  entries_checked_ += poll.new_entries;
  frontier_ = std::move(next);
  counts_ = std::move(counts);
  LCB_RETURN_IF_ERROR(SaveState(note));
  known_note_ = note;
  return poll;
}

}  // namespace lcb
