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

// A witness the bank sends its checkpoints to (C2SP tlog-witness); `vkey` is its cosigner key
// (crypto/cosignature.h), whose name must be `name`.
struct WitnessConfig {
  std::string name;
  std::string url;  // http(s)://host:port[/prefix]; POST <url>/add-checkpoint
  std::string vkey;
};

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
  // Portal sessions and sign-in codes (api/sessions.h).
  int session_idle_timeout_s = 30 * 60;    // a session unused this long ends
  int session_max_age_s = 12 * 60 * 60;    // a session ends this long after sign-in, regardless
  int sign_in_code_ttl_s = 10 * 60;        // a sign-in code is valid this long, once
  int sign_in_max_failures = 5;            // failed attempts of one typed code...
  // ...and from one client address (a school's NAT); 0 = ten times sign_in_max_failures...
  int sign_in_max_failures_per_address = 0;
  int sign_in_failure_window_s = 15 * 60;  // ...within this window; beyond it 429
  // Where the bank's data lives (DESIGN.md "Where one machine is not enough"): "rocksdb"
  // (embedded, in data_dir; the default) or "postgres" (a PostgreSQL-wire engine at
  // storage_postgres_dsn; storage/pg_kv.h). The DSN may hold a password: never logged.
  std::string storage_backend = "rocksdb";
  std::string storage_postgres_dsn;
  // Several nodes on one database: the URL the other nodes forward writes to when this node
  // holds the log writer's lease (empty = the URL it listens on), and that lease's length (a
  // dead writer is replaced within about this time).
  std::string storage_postgres_advertise;
  int storage_postgres_lease_ms = 5'000;
  // The bank's public base URL ("https://bank.example", no trailing slash): credential ids,
  // status list URLs and did:web. Empty = the URL the server listens on.
  std::string public_url;
  // Hosts ("host" or "host:port") whose status lists the bank may fetch, by the URL a
  // presented credential names, when the presenter did not bring the list (POST
  // /v1/learners/{id}/credentials). Empty = none: the bank fetches nothing.
  std::vector<std::string> credential_status_hosts;
  // DESIGN.md's vc_api.issue: POST /vc-api/credentials/issue answers only when true.
  bool vc_api_issue = false;
  // serve: a log key file the bank never published becomes its signing key (shared store; the
  // embedded store always rotates to a new key file)
  bool rotate_log_key = false;
  int stats_k = 10;  // /v1/stats: cells with fewer learners are suppressed
  // /v1/stats answers may be this old (a background keeper; 0 = every question is exact).
  int stats_max_staleness_ms = 1000;
  // serve: keep the /v1/stats aggregates up to date between questions, at SCHED_IDLE
  bool stats_idle_keeper = true;
  bool stats_build_on_start = true;  // serve: build the /v1/stats aggregates in the background

  std::vector<WitnessConfig> witnesses;  // file: [{"name","url","vkey"}], env/flag: that JSON
  int witness_quorum = 0;                // cosignatures a served checkpoint needs (<= witnesses)
  std::string host() const;
  uint16_t port() const;
};

struct ConfigKeyInfo {
  const char* key;
  const char* type;  // string, int, number
  const char* help;
  // Names where they are not derived from the key (CREDITBANK_<KEY>, --key-name): the
  // storage keys are dotted in the file ("storage": {"backend": …}) and short elsewhere.
  const char* env = nullptr;   // e.g. CREDITBANK_STORAGE
  const char* flag = nullptr;  // e.g. storage (for --storage)
};
// Every key, for --help and the README's configuration reference.
const std::vector<ConfigKeyInfo>& ConfigKeys();
// The environment variable and the command-line flag (without "--") of a key.
std::string ConfigEnvName(const ConfigKeyInfo& info);
std::string ConfigFlagName(const ConfigKeyInfo& info);

// `flags` maps key (underscore form) to value as given on the command line; a key with its own
// flag name may be given by it too ("storage" or "storage.backend"; "postgres_dsn" or
// "storage.postgres.dsn"). In the config file, an object nests keys: {"storage": {"backend":
// "postgres", "postgres": {"dsn": "…"}}} sets storage.backend and storage.postgres.dsn.
// `config_file` may be empty. `env` is usually taken from the process environment.
StatusOr<Config> LoadConfig(const std::string& config_file,
                            const std::map<std::string, std::string>& env,
                            const std::map<std::string, std::string>& flags);
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace lcb
