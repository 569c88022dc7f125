#include "service/witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/encoding.h"
#include "crypto/cosignature.h"
#include "crypto/merkle.h"
#include "crypto/sha256.h"

namespace lcb {
namespace {

struct AddRequest {
  uint64_t old_size = 0;
  std::vector<Hash> proof;
  std::string_view note;
};

StatusOr<uint64_t> ParseSize(std::string_view s, const char* field) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) {
    return Status::InvalidArgument(Field(field), "must be a decimal size without leading zeroes");
  }
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Status::InvalidArgument(Field(field), "must be decimal");
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return Status::InvalidArgument(Field(field), "too large");
    v = v * 10 + d;
  }
  return v;
}

// Splits the request into old size, proof hashes and the note (see the grammar in the header).
StatusOr<AddRequest> ParseAddRequest(std::string_view body) {
  if (body.size() > kMaxAddCheckpointBytes) {
    return Status::InvalidArgument(Field(""), "request larger than 64 KiB");
  }
  AddRequest req;
  size_t eol = body.find('\n');
  if (eol == std::string_view::npos || body.substr(0, 4) != "old ") {
    return Status::InvalidArgument(Field("old"), "the first line must be \"old <size>\"");
  }
  LCB_ASSIGN_OR_RETURN(req.old_size, ParseSize(body.substr(4, eol - 4), "old"));
  body.remove_prefix(eol + 1);
  while (true) {
    eol = body.find('\n');
    if (eol == std::string_view::npos) {
      return Status::InvalidArgument(Field("proof"), "no empty line before the checkpoint");
    }
    if (eol == 0) break;
    if (req.proof.size() == kMaxWitnessProofLines) {
      return Status::InvalidArgument(Field("proof"), "more than 63 consistency proof lines");
    }
    std::optional<std::string> bytes = Base64Decode(body.substr(0, eol));
    if (!bytes || bytes->size() != sizeof(Hash)) {
      return Status::InvalidArgument(
          Field("proof"),
          "proof line " + std::to_string(req.proof.size() + 1) + " is not a base64 SHA-256 hash");
    }
    Hash h;
    std::copy(bytes->begin(), bytes->end(), h.begin());
    req.proof.push_back(h);
    body.remove_prefix(eol + 1);
  }
  req.note = body.substr(1);
  return req;
}

Status WriteFileAtomically(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable("cannot create " + tmp);
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Unavailable("cannot write " + path);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Status::Unavailable("cannot open " + dir);
  const int rc = ::fsync(dir_fd);
  ::close(dir_fd);
  return rc == 0 ? Status::Ok() : Status::Unavailable("cannot fsync " + dir);
}

uint64_t SystemSeconds() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

StatusOr<std::unique_ptr<Witness>> Witness::Open(std::string name, Ed25519Key key,
                                                 std::vector<NoteVerifier> logs,
                                                 std::string state_dir,
                                                 std::function<uint64_t()> clock) {
  if (!IsValidNoteKeyName(name)) {
    return Status::InvalidArgument(Field("name"), "not a valid note key name: " + name);
  }
  if (logs.empty()) return Status::InvalidArgument(Field("log-vkey"), "no log configured");
  std::unique_ptr<Witness> w(new Witness());
  w->name_ = std::move(name);
  w->key_ = std::make_unique<Ed25519Key>(std::move(key));
  w->state_dir_ = std::move(state_dir);
  w->clock_ = clock ? std::move(clock) : SystemSeconds;
  for (NoteVerifier& v : logs) {
    LogState& s = w->logs_[v.name];
    s.latest = Checkpoint{v.name, 0, EmptyRoot(), {}};
    s.keys.push_back(std::move(v));
  }
  std::error_code ec;
  std::filesystem::create_directories(w->state_dir_, ec);
  if (ec) return Status::Unavailable("cannot create " + w->state_dir_ + ": " + ec.message());
  LCB_RETURN_IF_ERROR(w->Load());
  return w;
}

std::string Witness::vkey() const { return CosignerKeyString(name_, key_->PublicKey()); }

std::string Witness::StatePath(const std::string& origin) const {
  return state_dir_ + "/" + HashHex(Sha256(origin)) + ".checkpoint";
}

Status Witness::Load() {
  for (auto& [origin, state] : logs_) {
    std::ifstream in(StatePath(origin), std::ios::binary);
    if (!in) continue;  // never cosigned for this log
    std::stringstream ss;
    ss << in.rdbuf();
    auto cp = ParseCheckpointBody(ss.str());
    if (!cp.ok() || cp->origin != origin) {
      return Status::DataLoss("witness state " + StatePath(origin) + " is corrupt");
    }
    state.latest = std::move(cp).value();
  }
  return Status::Ok();
}

Status Witness::Persist(const std::string& origin, const std::string& body) const {
  return WriteFileAtomically(StatePath(origin), body);
}

StatusOr<uint64_t> Witness::KnownSize(const std::string& origin) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(origin);
  if (it == logs_.end()) return Status::NotFound("unknown log " + origin);
  return it->second.latest.size;
}

StatusOr<std::string> Witness::AddCheckpoint(std::string_view request, uint64_t* known_size) {
  LCB_ASSIGN_OR_RETURN(AddRequest req, ParseAddRequest(request));
  const std::string origin(req.note.substr(0, req.note.find('\n')));
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(origin);
  if (it == logs_.end()) return Status::NotFound("unknown log origin '" + origin + "'");
  LogState& state = it->second;
  auto opened = OpenNote(req.note, state.keys);
  if (!opened.ok()) {
    return Status::PermissionDenied("checkpoint not signed by a key of " + origin + ": " +
                                    opened.status().message());
  }
  LCB_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpointBody(opened->text));
  if (req.old_size > cp.size) {
    return Status::InvalidArgument(Field("old"), "old size " + std::to_string(req.old_size) +
                                                     " is above the checkpoint's size " +
                                                     std::to_string(cp.size));
  }
  *known_size = state.latest.size;
  if (req.old_size != state.latest.size) {
    return Status::FailedPrecondition("old size " + std::to_string(req.old_size) +
                                      " is not the size last cosigned, " +
                                      std::to_string(state.latest.size));
  }
  if (cp.size == state.latest.size && cp.root != state.latest.root) {
    return Status::FailedPrecondition("checkpoint at size " + std::to_string(cp.size) +
                                      " has another root than the one cosigned: a fork");
  }
  Status consistent =
      VerifyConsistency(req.old_size, cp.size, state.latest.root, cp.root, req.proof);
  if (!consistent.ok()) {
    return Status::DataLoss("consistency proof from " + std::to_string(req.old_size) + " to " +
                            std::to_string(cp.size) + " does not verify: " + consistent.message());
  }
  LCB_RETURN_IF_ERROR(Persist(origin, opened->text));
  state.latest = std::move(cp);
  *known_size = state.latest.size;
  return CosignatureLine(opened->text, name_, *key_, clock_());
}

}  // namespace lcb
