// compact_store DIR: compacts a creditbank RocksDB store (DIR is the `db` directory under the
// data directory, with the server stopped) with the store's own options, for the soak
// benchmark's bytes-on-disk-per-record figure.
#include <cstdio>

#include "storage/kv.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: compact_store DATA_DIR/db\n");
    return 2;
  }
  lcb::Status s = lcb::CompactRocksKv(argv[1]);
  if (!s.ok()) {
    std::fprintf(stderr, "compact_store: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
