// LoadConfig with the fuzz input as the config file's content (a per-process temp file,
// rewritten each run; no environment, no flags). The file lives in /dev/shm when there is one:
// ext4 flushes a file truncated and rewritten on every close, which would cap this target at a
// few hundred runs a second.
//
// Properties (config/config.h: "validated, immutable afterwards"): a rejection is
// InvalidArgument with a message; an accepted configuration is one the server can start from
// without tripping a precondition later: listen is HOST:PORT with host() and port() defined,
// numbers within their documented ranges, the default file paths filled in, and the origin a
// valid signed-note key name whose checkpoint body is valid note text (SignNote's
// preconditions, which crypto/signed_note.h leaves to config to check).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "crypto/checkpoint.h"
#include "crypto/signed_note.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

std::string* g_path = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::string tmpl = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  tmpl += "/lcb_fuzz_config_XXXXXX";
  int fd = mkstemp(tmpl.data());
  if (fd < 0) {
    std::perror("mkstemp");
    std::abort();
  }
  close(fd);
  g_path = new std::string(tmpl.c_str());
  std::atexit([] { unlink(g_path->c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lcb;
  using namespace lcb::fuzz;
  FILE* f = std::fopen(g_path->c_str(), "wb");
  LCB_FUZZ_CHECK(f != nullptr, *g_path);
  LCB_FUZZ_CHECK(std::fwrite(data, 1, size, f) == size, "short write");
  std::fclose(f);

  auto config = LoadConfig(*g_path, {}, {});
  if (!config.ok()) {
    LCB_FUZZ_CHECK(config.status().code() == StatusCode::kInvalidArgument,
                   config.status().ToString());
    LCB_FUZZ_CHECK(!config.status().message().empty(), config.status().ToString());
    return 0;
  }
  const Config& c = *config;
  LCB_FUZZ_CHECK(!c.data_dir.empty(), "data_dir");
  auto colon = c.listen.rfind(':');
  LCB_FUZZ_CHECK(colon != std::string::npos && colon > 0, c.listen);
  (void)c.host();
  (void)c.port();  // std::stoi: throws (and so aborts here) on anything but a number
  LCB_FUZZ_CHECK(c.threads >= 0 && c.threads <= 256, std::to_string(c.threads));
  LCB_FUZZ_CHECK(c.max_body_bytes >= 1024, std::to_string(c.max_body_bytes));
  LCB_FUZZ_CHECK(c.max_batch >= 1, std::to_string(c.max_batch));
  LCB_FUZZ_CHECK(c.rate_limit_rps >= 0, std::to_string(c.rate_limit_rps));
  LCB_FUZZ_CHECK(!c.key_file.empty() && !c.admin_token_file.empty() && !c.secret_file.empty(),
                 "default paths");
  LCB_FUZZ_CHECK(c.tls_cert.empty() == c.tls_key.empty(), "tls_cert without tls_key");
  LCB_FUZZ_CHECK(IsValidNoteKeyName(c.origin),
                 "origin '" + c.origin + "' is not a valid signed-note key name");
  Checkpoint cp{c.origin, 0, Hash{}, {}};
  Status text = ValidateNoteText(FormatCheckpointBody(cp));
  LCB_FUZZ_CHECK(text.ok(), text.ToString());
  return 0;
}
