#include "api/witness_views.h"

#include <cstdio>
#include <sstream>

#include "common/date.h"

namespace lcb {
namespace {

using json = nlohmann::json;

// RFC 3339 UTC with milliseconds, as NowRfc3339 writes it; null for 0 (never).
json TimeOrNull(int64_t ms) {
  if (ms <= 0) return nullptr;
  const CivilDate d = CivilFromDays(static_cast<Days>(ms / 86'400'000));
  const int64_t rem = ms % 86'400'000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", d.year, d.month, d.day,
                static_cast<int>(rem / 3'600'000), static_cast<int>(rem / 60'000 % 60),
                static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  return buf;
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string LabelValue(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void Header(std::ostringstream& out, const char* name, const char* help, const char* type) {
  out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

// One series per witness of `name`, the value from `value`.
template <typename F>
void PerWitness(std::ostringstream& out, const WitnessHealth& h, const char* name, const char* help,
                const char* type, F value) {
  Header(out, name, help, type);
  for (const WitnessPeerHealth& p : h.witnesses) {
    out << name << "{witness=\"" << LabelValue(p.name) << "\"} " << value(p) << "\n";
  }
}

}  // namespace

WitnessHealth CurrentWitnessHealth(const LogService& log) {
  return log.cosigned().Health(CheckpointSize(log.LatestCheckpoint()));
}

json WitnessHealthJson(const WitnessHealth& health) {
  json list = json::array();
  for (const WitnessPeerHealth& p : health.witnesses) {
    list.push_back({{"name", p.name},
                    {"cosigned_size", p.cosigned_size},
                    {"last_success", TimeOrNull(p.last_success_ms)},
                    {"failures", p.failures},
                    {"last_error", p.last_error.empty() ? json(nullptr) : json(p.last_error)},
                    {"last_error_at", TimeOrNull(p.last_error_ms)}});
  }
  return {{"quorum", health.quorum},
          {"quorum_met", health.quorum_met},
          {"cosigned_size", health.cosigned_size},
          {"list", std::move(list)}};
}

std::string WitnessMetrics(const WitnessHealth& health) {
  std::ostringstream out;
  Header(out, "creditbank_witness_quorum", "Witness cosignatures a served checkpoint needs.",
         "gauge");
  out << "creditbank_witness_quorum " << health.quorum << "\n";
  Header(out, "creditbank_witness_quorum_met",
         "1 if the served checkpoint carries a quorum of cosignatures, else 0.", "gauge");
  out << "creditbank_witness_quorum_met " << (health.quorum_met ? 1 : 0) << "\n";
  Header(out, "creditbank_witness_served_cosigned_size",
         "Tree size of the checkpoint served with a quorum of cosignatures (0: none).", "gauge");
  out << "creditbank_witness_served_cosigned_size " << health.cosigned_size << "\n";
  PerWitness(out, health, "creditbank_witness_cosigned_size",
             "Newest tree size the witness cosigned.", "gauge",
             [](const WitnessPeerHealth& p) { return p.cosigned_size; });
  PerWitness(out, health, "creditbank_witness_last_success_timestamp_seconds",
             "When the witness's newest cosignature came (0: never).", "gauge",
             [](const WitnessPeerHealth& p) { return p.last_success_ms / 1000; });
  PerWitness(out, health, "creditbank_witness_failures_total",
             "Failed attempts to get the witness's cosignature.", "counter",
             [](const WitnessPeerHealth& p) { return p.failures; });
  PerWitness(out, health, "creditbank_witness_last_error_timestamp_seconds",
             "When the last attempt failed (0: never).", "gauge",
             [](const WitnessPeerHealth& p) { return p.last_error_ms / 1000; });
  return out.str();
}

}  // namespace lcb
