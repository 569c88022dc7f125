#include "config/config.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crypto/cosignature.h"
#include "crypto/ijson.h"
#include "crypto/signed_note.h"

extern char** environ;

namespace lcb {
namespace {

const std::vector<ConfigKeyInfo> kKeys = {
    {"data_dir", "string", "directory of the RocksDB store, keys and admin token (./var)"},
    {"listen", "string", "HOST:PORT to listen on (127.0.0.1:8080; port 0 picks a free port)"},
    {"threads", "int", "HTTP worker threads (0 = one per core)"},
    {"worker_threads", "int",
     "threads finishing log appends (receipt proofs, responses); default 2"},
    {"blocking_threads", "int",
     "threads for requests that wait on a synced write (catalog, tokens, learners); default 4"},
    {"origin", "string", "the log's origin line in checkpoints and its signing-key name"},
    {"key_file", "string", "Ed25519 log signing key, PEM, mode 0600 (DATA/log_key.pem)"},
    {"admin_token_file", "string",
     "where the first start writes the admin token (DATA/admin.token)"},
    {"secret_file", "string", "HMAC secret for national IDs, mode 0600 (DATA/national_id.secret)"},
    {"max_body_bytes", "int", "largest request body accepted (8388608)"},
    {"max_header_bytes", "int", "largest request header accepted (16384)"},
    {"max_batch", "int", "most records in one POST /v1/records (1000)"},
    {"read_timeout_ms", "int", "time a client has to send a whole request (30000)"},
    {"idle_timeout_ms", "int", "keep-alive connections idle longer are closed (60000)"},
    {"max_connections", "int", "open connections beyond this are refused (1024)"},
    {"rate_limit_rps", "number",
     "requests per second per token (per address when anonymous), 0 = unlimited (1000)"},
    {"rate_limit_burst", "int", "burst size of the per-token rate limit (2000)"},
    {"log_level", "string", "debug, info, warn or error (info)"},
    {"tls_cert", "string", "PEM certificate chain; with tls_key the server speaks HTTPS"},
    {"tls_key", "string", "PEM private key of tls_cert"},
    {"shutdown_grace_ms", "int", "on SIGTERM, longest wait for open connections to finish (10000)"},
    {"min_free_disk_bytes", "int",
     "writes (and /readyz) answer 503 while the data disk has less free space (268435456)"},
    {"session_idle_timeout_s", "int", "a portal session unused this many seconds ends (1800)"},
    {"session_max_age_s", "int", "a portal session ends this many seconds after sign-in (43200)"},
    {"sign_in_code_ttl_s", "int", "a one-time sign-in code is valid this many seconds (600)"},
    {"sign_in_max_failures", "int",
     "failed attempts of one sign-in code allowed in the window (5)"},
    {"sign_in_max_failures_per_address", "int",
     "failed sign-in code attempts allowed from one client address in the window (0 = ten "
     "times sign_in_max_failures: 50)"},
    {"sign_in_failure_window_s", "int", "the window of sign_in_max_failures, seconds (900)"},
    {"storage.backend", "string",
     "rocksdb (embedded, in data_dir) or postgres (a PostgreSQL-wire engine)", "CREDITBANK_STORAGE",
     "storage"},
    {"storage.postgres.dsn", "string",
     "libpq connection string or postgresql:// URL (with storage.backend postgres)",
     "CREDITBANK_POSTGRES_DSN", "postgres-dsn"},
    {"storage.postgres.advertise", "string",
     "http(s) URL the other nodes forward writes to while this node writes the log (empty = "
     "the listening URL)",
     "CREDITBANK_POSTGRES_ADVERTISE", "postgres-advertise"},
    {"storage.postgres.lease_ms", "int",
     "the log writer's lease, ms: a dead writer is replaced after it expires (5000)",
     "CREDITBANK_POSTGRES_LEASE_MS", "postgres-lease-ms"},
    {"witnesses", "json",
     "witnesses to send checkpoints to: [{\"name\", \"url\", \"vkey\"}] (none)"},
    {"witness_quorum", "int", "cosignatures a served checkpoint needs, <= witnesses (0)"},
    {"public_url", "string",
     "the bank's public http(s) base URL, no trailing slash: credential and status list URLs, "
     "did:web (empty = the listening URL)"},
    {"credential_status_hosts", "string",
     "comma-separated hosts (host or host:port) whose status lists the bank fetches for a "
     "presented credential that came without its list (none: nothing is fetched)"},
    {"vc_api.issue", "string",
     "true enables POST /vc-api/credentials/issue for admins (false); in a file "
     "{\"vc_api\": {\"issue\": true}}",
     "CREDITBANK_VC_API_ISSUE", "vc-api-issue"},
    {"rotate_log_key", "string",
     "true: a log key file the bank has never published (on the embedded store also a missing "
     "one, made anew) becomes its signing key on this start, retiring the current one; "
     "otherwise such a start is refused (false)"},
    {"stats_k", "int", "GET /v1/stats leaves out cells of fewer learners than this (10)"},
    {"stats_build_on_start", "string",
     "true: serve builds the /v1/stats aggregates in the background at start, false: at the "
     "first request (true)"},
    {"stats_max_staleness_ms", "int",
     "GET /v1/stats may answer from figures up to this old, kept up to date in the background "
     "while regulators ask; 0: each question brings them up to date itself (1000)"},
    {"stats_idle_keeper", "string",
     "true: between regulators' questions, a lowest-priority thread (SCHED_IDLE) keeps the "
     "/v1/stats figures up to date on spare CPU time, so the first question after a quiet "
     "period does not read everything posted meanwhile (true)"},
};

std::string EnvName(std::string_view key) {
  std::string out = "CREDITBANK_";
  for (char c : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Status Bad(std::string_view key, std::string_view source, std::string_view why) {
  return Status::InvalidArgument(Field(std::string(key)), "configuration key '" + std::string(key) +
                                                              "' (from " + std::string(source) +
                                                              "): " + std::string(why));
}

// An http(s) base URL other URLs are made from: empty, or no trailing slash, query or fragment.
Status CheckBaseUrl(std::string_view key, std::string_view source, std::string_view value) {
  const bool scheme = value.starts_with("https://") || value.starts_with("http://");
  if (!value.empty() &&
      (!scheme || value.ends_with("/") || value.find_first_of(" ?#") != std::string::npos)) {
    return Bad(key, source, "must be an http(s) URL without a trailing slash, query or fragment");
  }
  return Status::Ok();
}

// The config key a command-line flag names: the key itself, or a key's own flag name in
// underscore form ("postgres_dsn").
std::string KeyOfFlag(const std::string& name) {
  for (const auto& info : kKeys) {
    if (info.flag == nullptr) continue;
    std::string flag = info.flag;
    for (char& c : flag) c = c == '-' ? '_' : c;
    if (name == flag) return info.key;
  }
  return name;
}

// {"storage": {"backend": "x"}} -> ("storage.backend", "x"). Arrays and nulls are refused.
Status Flatten(const std::string& prefix, const nlohmann::json& doc, const std::string& file,
               std::vector<std::pair<std::string, std::string>>* out) {
  for (auto& [name, value] : doc.items()) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (value.is_object()) {
      LCB_RETURN_IF_ERROR(Flatten(key, value, file, out));
    } else if (value.is_string()) {
      out->emplace_back(key, value.get<std::string>());
    } else if (value.is_number() || value.is_boolean() ||
               (key == "witnesses" && value.is_array())) {
      out->emplace_back(key, value.dump());
    } else {
      return Bad(key, file, "must be a string or a number");
    }
  }
  return Status::Ok();
}

template <typename Int>
Status ParseInt(std::string_view key, std::string_view source, std::string_view text, Int lo,
                Int hi, Int* out) {
  Int v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const bool whole = p == text.data() + text.size();
  if (ec == std::errc::result_out_of_range && whole) {  // digits, but too many: 99999 for a port
    return Bad(key, source, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  if (ec != std::errc() || !whole) {
    return Bad(key, source, "'" + std::string(text) + "' is not an integer");
  }
  if (v < lo || v > hi) {
    return Bad(key, source, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  *out = v;
  return Status::Ok();
}

// `text` is a JSON array of {"name", "url", "vkey"}; every vkey must parse as a cosigner key
// named `name`, and names must be distinct.
Status ParseWitnesses(std::string_view key, std::string_view source, const std::string& text,
                      std::vector<WitnessConfig>* out) {
  auto parsed = ParseIJson(text);
  if (!parsed.ok() || !parsed->is_array()) {
    return Bad(key, source, "must be a JSON array of {\"name\", \"url\", \"vkey\"}");
  }
  out->clear();
  for (const auto& w : *parsed) {
    const std::string at = "[" + std::to_string(out->size()) + "]";
    if (!w.is_object() || w.size() != 3 || !w.contains("name") || !w.contains("url") ||
        !w.contains("vkey") || !w["name"].is_string() || !w["url"].is_string() ||
        !w["vkey"].is_string()) {
      return Bad(key, source, at + " must be {\"name\", \"url\", \"vkey\"}, all strings");
    }
    WitnessConfig wc{w["name"], w["url"], w["vkey"]};
    auto cosigner = ParseCosignerKey(wc.vkey);
    if (!cosigner.ok()) return Bad(key, source, at + ".vkey: " + cosigner.status().message());
    if (cosigner->name != wc.name) {
      return Bad(key, source,
                 at + ".vkey is named '" + cosigner->name + "', not '" + wc.name + "'");
    }
    if (wc.url.rfind("http://", 0) != 0 && wc.url.rfind("https://", 0) != 0) {
      return Bad(key, source, at + ".url must start with http:// or https://");
    }
    for (const WitnessConfig& seen : *out) {
      if (seen.name == wc.name) return Bad(key, source, at + ".name repeats " + wc.name);
    }
    out->push_back(std::move(wc));
  }
  return Status::Ok();
}

Status Apply(Config& c, const std::string& key, const std::string& value,
             std::string_view source) {
  if (key == "data_dir") {
    if (value.empty()) return Bad(key, source, "must not be empty");
    c.data_dir = value;
  } else if (key == "listen") {
    c.listen = value;
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0) return Bad(key, source, "must be HOST:PORT");
    uint16_t port = 0;
    LCB_RETURN_IF_ERROR(ParseInt<uint16_t>(key, source, std::string_view(value).substr(colon + 1),
                                           0, 65535, &port));
  } else if (key == "threads") {
    return ParseInt<int>(key, source, value, 0, 256, &c.threads);
  } else if (key == "worker_threads") {
    return ParseInt<int>(key, source, value, 1, 64, &c.worker_threads);
  } else if (key == "blocking_threads") {
    return ParseInt<int>(key, source, value, 1, 64, &c.blocking_threads);
  } else if (key == "origin") {
    // The origin is also the checkpoints' signed-note key name (SignNote's precondition).
    if (!IsValidNoteKeyName(value)) {
      return Bad(key, source, "must be non-empty UTF-8 without spaces, control characters or '+'");
    }
    c.origin = value;
  } else if (key == "key_file") {
    c.key_file = value;
  } else if (key == "admin_token_file") {
    c.admin_token_file = value;
  } else if (key == "secret_file") {
    c.secret_file = value;
  } else if (key == "max_body_bytes") {
    return ParseInt<uint64_t>(key, source, value, 1024, 1ull << 30, &c.max_body_bytes);
  } else if (key == "max_header_bytes") {
    return ParseInt<uint64_t>(key, source, value, 1024, 1u << 20, &c.max_header_bytes);
  } else if (key == "max_batch") {
    return ParseInt<int>(key, source, value, 1, 100000, &c.max_batch);
  } else if (key == "read_timeout_ms") {
    return ParseInt<int>(key, source, value, 100, 3'600'000, &c.read_timeout_ms);
  } else if (key == "idle_timeout_ms") {
    return ParseInt<int>(key, source, value, 100, 3'600'000, &c.idle_timeout_ms);
  } else if (key == "max_connections") {
    return ParseInt<int>(key, source, value, 1, 1'000'000, &c.max_connections);
  } else if (key == "rate_limit_rps") {
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || errno != 0 || !(v >= 0) || v > 1e9) {
      return Bad(key, source, "must be a number >= 0");
    }
    c.rate_limit_rps = v;
  } else if (key == "rate_limit_burst") {
    return ParseInt<int>(key, source, value, 1, 1'000'000, &c.rate_limit_burst);
  } else if (key == "log_level") {
    if (value != "debug" && value != "info" && value != "warn" && value != "error") {
      return Bad(key, source, "must be debug, info, warn or error");
    }
    c.log_level = value;
  } else if (key == "tls_cert") {
    c.tls_cert = value;
  } else if (key == "tls_key") {
    c.tls_key = value;
  } else if (key == "min_free_disk_bytes") {
    return ParseInt<uint64_t>(key, source, value, 0, 1ull << 50, &c.min_free_disk_bytes);
  } else if (key == "shutdown_grace_ms") {
    return ParseInt<int>(key, source, value, 0, 600'000, &c.shutdown_grace_ms);
  } else if (key == "session_idle_timeout_s") {
    return ParseInt<int>(key, source, value, 1, 30 * 86'400, &c.session_idle_timeout_s);
  } else if (key == "session_max_age_s") {
    return ParseInt<int>(key, source, value, 1, 90 * 86'400, &c.session_max_age_s);
  } else if (key == "sign_in_code_ttl_s") {
    return ParseInt<int>(key, source, value, 1, 7 * 86'400, &c.sign_in_code_ttl_s);
  } else if (key == "sign_in_max_failures") {
    return ParseInt<int>(key, source, value, 1, 1000, &c.sign_in_max_failures);
  } else if (key == "sign_in_max_failures_per_address") {
    return ParseInt<int>(key, source, value, 0, 100'000, &c.sign_in_max_failures_per_address);
  } else if (key == "sign_in_failure_window_s") {
    return ParseInt<int>(key, source, value, 1, 86'400, &c.sign_in_failure_window_s);
  } else if (key == "storage.backend") {
    if (value != "rocksdb" && value != "postgres") {
      return Bad(key, source, "must be rocksdb or postgres");
    }
    c.storage_backend = value;
  } else if (key == "storage.postgres.dsn") {
    // Never echo the value: it may hold a password.
    if (value.empty()) return Bad(key, source, "must not be empty");
    c.storage_postgres_dsn = value;
  } else if (key == "storage.postgres.advertise") {
    LCB_RETURN_IF_ERROR(CheckBaseUrl(key, source, value));
    c.storage_postgres_advertise = value;
  } else if (key == "storage.postgres.lease_ms") {
    return ParseInt<int>(key, source, value, 1'000, 600'000, &c.storage_postgres_lease_ms);
  } else if (key == "witnesses") {
    return ParseWitnesses(key, source, value, &c.witnesses);
  } else if (key == "witness_quorum") {
    return ParseInt<int>(key, source, value, 0, 100, &c.witness_quorum);
  } else if (key == "public_url") {
    LCB_RETURN_IF_ERROR(CheckBaseUrl(key, source, value));
    c.public_url = value;
  } else if (key == "credential_status_hosts") {
    c.credential_status_hosts.clear();
    if (!value.empty() && value.back() == ',') return Bad(key, source, "ends with a comma");
    std::stringstream in(value);
    for (std::string host; std::getline(in, host, ',');) {
      const bool ok = !host.empty() && host.find_first_of("/@?# \t") == std::string::npos;
      if (!ok) return Bad(key, source, "'" + host + "' is not a host or host:port");
      c.credential_status_hosts.push_back(host);
    }
  } else if (key == "vc_api.issue" || key == "vc_api_issue") {  // the flat name: before 2026-12-05
    if (value != "true" && value != "false") return Bad(key, source, "must be true or false");
    c.vc_api_issue = value == "true";
  } else if (key == "rotate_log_key") {
    if (value != "true" && value != "false") return Bad(key, source, "must be true or false");
    c.rotate_log_key = value == "true";
  } else if (key == "stats_build_on_start") {
    if (value != "true" && value != "false") return Bad(key, source, "must be true or false");
    c.stats_build_on_start = value == "true";
  } else if (key == "stats_idle_keeper") {
    if (value != "true" && value != "false") return Bad(key, source, "must be true or false");
    c.stats_idle_keeper = value == "true";
  } else if (key == "stats_k") {
    return ParseInt<int>(key, source, value, 1, 1'000'000, &c.stats_k);
  } else if (key == "stats_max_staleness_ms") {
    return ParseInt<int>(key, source, value, 0, 600'000, &c.stats_max_staleness_ms);
  } else {
    return Bad(key, source, "unknown key");
  }
  return Status::Ok();
}

}  // namespace

std::string Config::host() const { return listen.substr(0, listen.rfind(':')); }
uint16_t Config::port() const {
  return static_cast<uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
}

const std::vector<ConfigKeyInfo>& ConfigKeys() { return kKeys; }

std::string ConfigEnvName(const ConfigKeyInfo& info) {
  return info.env ? std::string(info.env) : EnvName(info.key);
}

std::string ConfigFlagName(const ConfigKeyInfo& info) {
  std::string flag = info.flag ? info.flag : info.key;
  for (char& c : flag) c = c == '_' ? '-' : c;
  return flag;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

StatusOr<Config> LoadConfig(const std::string& config_file,
                            const std::map<std::string, std::string>& env,
                            const std::map<std::string, std::string>& flags) {
  Config c;
  // Where each key that was set came from, for the checks of keys together below; the last
  // source wins, as its value does.
  std::map<std::string, std::string> source_of;
  auto from = [&](const std::string& key) {
    auto it = source_of.find(key);
    return it == source_of.end() ? std::string("the default") : it->second;
  };
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in)
      return Status::InvalidArgument(Field("config"), "cannot read config file " + config_file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto parsed = ParseIJson(ss.str());
    if (!parsed.ok()) {
      return Status::InvalidArgument(
          Field("config"),
          "config file " + config_file + ": " + parsed.status().message() +
              (parsed.status().pointer().empty() ? std::string()
                                                 : " (at " + parsed.status().pointer() + ")"));
    }
    nlohmann::json doc = std::move(parsed).value();
    if (!doc.is_object()) {
      return Status::InvalidArgument(Field("config"),
                                     "config file " + config_file + " is not a JSON object");
    }
    std::vector<std::pair<std::string, std::string>> entries;
    LCB_RETURN_IF_ERROR(Flatten("", doc, config_file, &entries));
    for (const auto& [key, text] : entries) {
      LCB_RETURN_IF_ERROR(Apply(c, key, text, config_file));
      source_of[key] = config_file;
    }
  }
  for (const auto& info : kKeys) {
    const std::string name = ConfigEnvName(info);
    if (auto it = env.find(name); it != env.end()) {
      LCB_RETURN_IF_ERROR(Apply(c, info.key, it->second, "environment " + name));
      source_of[info.key] = "environment " + name;
    }
  }
  for (const auto& [name, value] : flags) {
    const std::string key = KeyOfFlag(name);
    // Named as the user typed it: --max-body-bytes, --storage (not the key's own spelling).
    std::string flag = "--" + name;
    for (const auto& info : kKeys) {
      if (key == info.key) flag = "--" + ConfigFlagName(info);
    }
    LCB_RETURN_IF_ERROR(Apply(c, key, value, "flag " + flag));
    source_of[key] = "flag " + flag;
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    // Named where the one that was given came from.
    return Bad(c.tls_cert.empty() ? "tls_cert" : "tls_key",
               from(c.tls_cert.empty() ? "tls_key" : "tls_cert"),
               "tls_cert and tls_key must be given together");
  }
  if (c.storage_backend == "postgres" && c.storage_postgres_dsn.empty()) {
    return Bad("storage.postgres.dsn", from("storage.backend"),
               "is required with storage.backend postgres (--postgres-dsn, "
               "CREDITBANK_POSTGRES_DSN)");
  }
  if (static_cast<size_t>(c.witness_quorum) > c.witnesses.size()) {
    return Bad("witness_quorum", from("witness_quorum"),
               "is " + std::to_string(c.witness_quorum) + " but only " +
                   std::to_string(c.witnesses.size()) + " witnesses are configured");
  }
  if (c.key_file.empty()) c.key_file = c.data_dir + "/log_key.pem";
  if (c.admin_token_file.empty()) c.admin_token_file = c.data_dir + "/admin.token";
  if (c.secret_file.empty()) c.secret_file = c.data_dir + "/national_id.secret";
  return c;
}

}  // namespace lcb
