// Server configuration: loaded once at start-up, validated, immutable afterwards.
//
// Sources, lowest to highest precedence: built-in defaults < config file (JSON) <
// CREDITBANK_* environment variables < command-line flags. Every key has one name used in all
// three: file key `max_body_bytes`, env `CREDITBANK_MAX_BODY_BYTES`, flag `--max-body-bytes`.
// An invalid value stops start-up with a message naming the key and where it came from.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace lcb {

struct Config {
  std::string data_dir = "./var";
  std::string listen = "127.0.0.1:8080";  // HOST:PORT; port 0 = ephemeral
  int threads = 0;                        // 0 = one per core
  int worker_threads = 2;                 // completions of log appends (receipts, responses)
  int blocking_threads = 4;  // handlers that wait on a synced write (catalog, tokens, ...)
  std::string origin = "creditbank.localhost/log";  // the log's name in checkpoints
  std::string key_file;                   // default DATA/log_key.pem
  std::string admin_token_file;           // default DATA/admin.token
  std::string secret_file;                // default DATA/national_id.secret
  uint64_t max_body_bytes = 8u << 20;
  uint64_t max_header_bytes = 16u << 10;
  int max_batch = 1000;
  int read_timeout_ms = 30'000;   // a request must arrive completely within this time
  int idle_timeout_ms = 60'000;   // keep-alive connections idle longer are closed
  int max_connections = 1024;
  double rate_limit_rps = 1000;   // per token (per address when anonymous); 0 = unlimited
  int rate_limit_burst = 2000;
  std::string log_level = "info";  // debug, info, warn, error
  std::string tls_cert;            // PEM certificate chain; with tls_key enables HTTPS
  std::string tls_key;
  int shutdown_grace_ms = 10'000;
  uint64_t min_free_disk_bytes = 256ull << 20;  // below this, writes answer 503
  // Base URL printed on transcripts (verification links); empty = from the request's Host.
  std::string public_url;
  int stats_k = 10;  // /v1/stats: cells with fewer learners are suppressed

  std::string host() const;
  uint16_t port() const;
};

struct ConfigKeyInfo {
  const char* key;
  const char* type;  // string, int, number
  const char* help;
};
// Every key, for --help and the README's configuration reference.
const std::vector<ConfigKeyInfo>& ConfigKeys();

// `flags` maps key (underscore form) to value as given on the command line. `config_file` may
// be empty. `env` is usually taken from the process environment.
StatusOr<Config> LoadConfig(const std::string& config_file,
                            const std::map<std::string, std::string>& env,
                            const std::map<std::string, std::string>& flags);
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace lcb
