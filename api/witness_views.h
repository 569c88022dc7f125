// How the witnesses fare, as operators see it: the "witnesses" section of GET /readyz and the
// creditbank_witness_* series of GET /metrics (docs/api.md "Operations"). Both come from
// CosignedCheckpoints::Health (service/cosignatures.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "service/cosignatures.h"
#include "service/log.h"

namespace lcb {

// The witnesses' health against the log's latest signed checkpoint (the one Served compares).
WitnessHealth CurrentWitnessHealth(const LogService& log);

// {"quorum", "quorum_met", "cosigned_size", "list": [{"name", "cosigned_size", "last_success",
// "failures", "last_error", "last_error_at"}]}; times are RFC 3339 or null for never.
nlohmann::json WitnessHealthJson(const WitnessHealth& health);

// Prometheus text: creditbank_witness_quorum, creditbank_witness_quorum_met (0/1),
// creditbank_witness_served_cosigned_size, and per witness (label witness="name")
// creditbank_witness_cosigned_size, creditbank_witness_last_success_timestamp_seconds,
// creditbank_witness_failures_total, creditbank_witness_last_error_timestamp_seconds
// (timestamps 0 for never).
std::string WitnessMetrics(const WitnessHealth& health);

}  // namespace lcb
