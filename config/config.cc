#include "config/config.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

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
     "writes answer 503 while the data disk has less free space (268435456)"},
    {"public_url", "string",
     "base URL printed on transcripts' verification links, e.g. https://bank.example "
     "(default: from the request's Host header)"},
    {"stats_k", "int", "GET /v1/stats leaves out cells of fewer learners than this (10)"},
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

template <typename Int>
Status ParseInt(std::string_view key, std::string_view source, std::string_view text, Int lo,
                Int hi, Int* out) {
  Int v{};
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return Bad(key, source, "'" + std::string(text) + "' is not an integer");
  }
  if (v < lo || v > hi) {
    return Bad(key, source, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  *out = v;
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
  } else if (key == "public_url") {
    if (!value.empty() && !value.starts_with("https://") && !value.starts_with("http://")) {
      return Bad(key, source, "must be an http:// or https:// URL");
    }
    c.public_url = value;
    while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  } else if (key == "stats_k") {
    return ParseInt<int>(key, source, value, 1, 1'000'000, &c.stats_k);
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
    for (auto& [key, value] : doc.items()) {
      std::string text;
      if (value.is_string()) {
        text = value.get<std::string>();
      } else if (value.is_number() || value.is_boolean()) {
        text = value.dump();
      } else {
        return Bad(key, config_file, "must be a string or a number");
      }
      LCB_RETURN_IF_ERROR(Apply(c, key, text, config_file));
    }
  }
  for (const auto& info : kKeys) {
    if (auto it = env.find(EnvName(info.key)); it != env.end()) {
      LCB_RETURN_IF_ERROR(Apply(c, info.key, it->second, "environment " + EnvName(info.key)));
    }
  }
  for (const auto& [key, value] : flags) {
    LCB_RETURN_IF_ERROR(Apply(c, key, value, "flag --" + key));
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return Bad(c.tls_cert.empty() ? "tls_cert" : "tls_key", "configuration",
               "tls_cert and tls_key must be given together");
  }
  if (c.key_file.empty()) c.key_file = c.data_dir + "/log_key.pem";
  if (c.admin_token_file.empty()) c.admin_token_file = c.data_dir + "/admin.token";
  if (c.secret_file.empty()) c.secret_file = c.data_dir + "/national_id.secret";
  return c;
}

}  // namespace lcb
