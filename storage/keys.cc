#include "storage/keys.h"

#include "common/encoding.h"
#include "crypto/sha256.h"

namespace lcb::keys {
namespace {

std::string Join(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

}  // namespace

std::string_view CatalogPrefix(CatalogKind kind) {
  switch (kind) {
    case CatalogKind::kInstitution:
      return "inst/";
    case CatalogKind::kUnit:
      return "unit/";
    case CatalogKind::kProgram:
      return "prog/";
    case CatalogKind::kGradeScale:
      return "scale/";
  }
  return "";
}

std::string Catalog(CatalogKind kind, std::string_view id) {
  std::string k(CatalogPrefix(kind));
  k.append(id);
  return k;
}

std::string InstitutionPosted(std::string_view institution) {
  std::string k("posted/");
  k.append(institution);
  return k;
}

std::string TranscriptByCodeHash(std::string_view sha256_hex) {
  std::string k("t/");
  k.append(sha256_hex);
  return k;
}

std::string CatalogEnd(CatalogKind kind) {
  std::string k(CatalogPrefix(kind));
  k.back() = static_cast<char>('/' + 1);
  return k;
}

std::string OwnerLeaf(std::string_view owner, uint64_t leaf) {
  return Join(owner, BigEndian64(leaf));
}

std::string OwnerBegin(std::string_view owner) { return Join(owner, ""); }

std::string OwnerEnd(std::string_view owner) {
  std::string k(owner);
  k.push_back('\1');
  return k;
}

uint64_t LeafOfOwnerKey(std::string_view key) { return GetBigEndian64(key.substr(key.size() - 8)); }

std::string Grant(std::string_view learner, std::string_view institution) {
  return Join(learner, institution);
}

std::string Ruleset(std::string_view program, uint32_t version) {
  std::string k = Join(program, "");
  for (int shift = 24; shift >= 0; shift -= 8) {
    k.push_back(static_cast<char>((version >> shift) & 0xff));
  }
  return k;
}

uint32_t VersionOfRulesetKey(std::string_view key) {
  uint32_t v = 0;
  for (size_t i = key.size() - 4; i < key.size(); ++i) v = (v << 8) | static_cast<uint8_t>(key[i]);
  return v;
}

std::string_view ProgramOfRulesetKey(std::string_view key) { return key.substr(0, key.find('\0')); }

std::string TokenByHash(std::string_view sha256_hex) {
  return std::string(kTokenHashPrefix) + std::string(sha256_hex);
}

std::string TokenById(std::string_view token_id) { return "i/" + std::string(token_id); }

std::string Learner(std::string_view learner_id) { return "l/" + std::string(learner_id); }

std::string LearnerPassbook(std::string_view learner_id) { return "p/" + std::string(learner_id); }

std::string RevocationId(std::string_view record_id) {
  return "rev_" + std::string(record_id.substr(4));
}

std::string RecordOfRevocation(std::string_view revocation_id) {
  return "rec_" + std::string(revocation_id.substr(4));
}

bool IsRevocationId(std::string_view id) { return id.starts_with("rev_"); }

std::string LearnerByNationalId(std::string_view hmac_hex) { return "n/" + std::string(hmac_hex); }

std::string AdminAction(uint64_t sequence) { return BigEndian64(sequence); }

std::string RevocationUnique(std::string_view record_id) {
  return "revoke/" + std::string(record_id);
}

std::string RulesetUnique(std::string_view program, uint32_t version) {
  return "ruleset/" + std::string(program) + "/" + std::to_string(version);
}

std::string RecordId(std::string_view issuer, std::string_view external_ref) {
  std::string material = "record";
  material.push_back('\0');
  material.append(issuer);
  material.push_back('\0');
  material.append(external_ref);
  return "rec_" + HashHex(Sha256(material)).substr(0, 24);
}

}  // namespace lcb::keys
