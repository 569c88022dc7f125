/* The limit for the log writer on PostgreSQL (issue 18): the rows a commit group of the Ledger
 * writes (log layout tiles/2, storage/ledger.h), written by the simplest fast libpq client there
 * is. Per record: one unique_keys row (a "rec_" id of 24 random hex digits, a 32-byte
 * fingerprint) and one learner_records row (learners taken in turn from LEARNERS random ids, as
 * benchmarks/load/ingest.lua posts them). Per group of GROUP records: the fencing UPDATE of
 * log_head, one log_leaves row holding the group's run of entries in the unfinished tile, one
 * checkpoints row and the two kv_meta rows. Per tile of 256 entries the group fills: the
 * DELETE of that tile's earlier runs, its entry bundle (log_bundles) and its 16,320-byte hash
 * tile (log_tiles; one more at each level above that the tile completes). One transaction per
 * group; every statement an INSERT ... VALUES with binary parameters (plain INSERT: no ON
 * CONFLICT, except kv_meta as the Ledger), a group's statements sent in one pipeline with one
 * Sync.
 *
 * The entries are real ones: the latest bundles of a creditbank database (--entries-from), repeated
 * in order, so that every bundle and run written here is byte for byte one the bank wrote.
 * Their size and how well PostgreSQL compresses them (bundles and runs are over 2 KB, so TOAST
 * compresses them) decide much of the cost: entries of one repeated byte made this limit three
 * times faster than random ones.
 *
 * usage: pg_limit [options] DSN RECORDS     (pg_limit --help)
 * Prints one line: records/s. */
#include <getopt.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 1000   /* rows per INSERT, records per group */
#define TILE 256        /* entries per tile (C2SP tlog-tiles) */
#define TILE_BYTES 16320 /* a stored hash tile: its 256 hashes and its interior nodes */
#define SOURCE_BUNDLES 16

static PGconn* conn;

static void die(const char* what) {
  fprintf(stderr, "pg_limit: %s: %s\n", what, PQerrorMessage(conn));
  exit(1);
}

static void usage(FILE* out) {
  fprintf(out,
          "usage: pg_limit [options] DSN RECORDS\n"
          "Writes RECORDS records' rows of the creditbank log (layout tiles/2) into the database\n"
          "DSN (its tables are emptied first) and prints records/s.\n"
          "  --entries-from DSN  a creditbank database with at least one full entry bundle: its\n"
          "                      latest %d bundles are the entries written (required)\n"
          "  --group N           records per transaction (default 1000, at most %d)\n"
          "  --learners N        distinct learners of the learner_records rows (default 200)\n"
          "  --schema FILE       run this DDL first (storage/sql/postgres.sql)\n"
          "  --help              this text\n",
          SOURCE_BUNDLES, MAX_ROWS);
}

static void be64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = (char)(v & 0xff);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t next_random(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}
static void random_bytes(char* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = (char)(next_random() >> 56);
}
static void random_hex(char* out, size_t digits) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < digits; ++i) out[i] = hex[next_random() >> 60];
}

/* Parameter arrays for one statement, reused. */
static const char* values[MAX_ROWS * 4];
static int lengths[MAX_ROWS * 4];
static int formats[MAX_ROWS * 4];

static void prepare(const char* name, const char* sql, int n, const Oid* types) {
  PGresult* res = PQprepare(conn, name, sql, n, types);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) die(name);
  PQclear(res);
}

/* "INSERT INTO t (cols) VALUES ($1,..),(..)" for n rows of w columns. */
static void prepare_insert(const char* name, const char* head, int w, int n, const Oid* types) {
  size_t cap = strlen(head) + (size_t)n * w * 8 + 64;
  char* sql = malloc(cap);
  size_t len = (size_t)snprintf(sql, cap, "%s VALUES ", head);
  Oid* oids = malloc(sizeof(Oid) * (size_t)(n * w));
  for (int r = 0; r < n; ++r) {
    len += (size_t)snprintf(sql + len, cap - len, r ? ",(" : "(");
    for (int c = 0; c < w; ++c) {
      len += (size_t)snprintf(sql + len, cap - len, c ? ",$%d" : "$%d", r * w + c + 1);
      oids[r * w + c] = types[c];
    }
    len += (size_t)snprintf(sql + len, cap - len, ")");
  }
  prepare(name, sql, n * w, oids);
  free(sql);
  free(oids);
}

static void send(const char* name, int nparams) {
  if (!PQsendQueryPrepared(conn, name, nparams, values, lengths, formats, 1)) die("send");
}

static void param(int i, const char* v, int len) {
  values[i] = v;
  lengths[i] = len;
}

/* The source entries, in log order: entry i is source + offsets[i], sizes[i] bytes. */
static char* source;
static size_t* offsets;
static int* sizes;
static long source_count;

static void load_entries(const char* dsn) {
  PGconn* src = PQconnectdb(dsn);
  if (PQstatus(src) != CONNECTION_OK) {
    fprintf(stderr, "pg_limit: --entries-from: %s", PQerrorMessage(src));
    exit(1);
  }
  char sql[128];
  snprintf(sql, sizeof sql, "SELECT bundle FROM (SELECT tile, bundle FROM log_bundles ORDER BY tile DESC LIMIT %d) b ORDER BY tile",
           SOURCE_BUNDLES);
  PGresult* res = PQexecParams(src, sql, 0, NULL, NULL, NULL, NULL, 1);
  if (PQresultStatus(res) != PGRES_TUPLES_OK) {
    fprintf(stderr, "pg_limit: --entries-from: %s", PQresultErrorMessage(res));
    exit(1);
  }
  const int bundles = PQntuples(res);
  if (bundles == 0) {
    fprintf(stderr, "pg_limit: --entries-from: the database has no full entry bundle yet (post "
                    "at least %d records to it first)\n", TILE);
    exit(1);
  }
  size_t total = 0;
  for (int b = 0; b < bundles; ++b) total += (size_t)PQgetlength(res, b, 0);
  source = malloc(total);
  offsets = malloc(sizeof(size_t) * (size_t)bundles * TILE);
  sizes = malloc(sizeof(int) * (size_t)bundles * TILE);
  size_t at = 0;
  for (int b = 0; b < bundles; ++b) {
    const unsigned char* p = (const unsigned char*)PQgetvalue(res, b, 0);
    const size_t n = (size_t)PQgetlength(res, b, 0);
    size_t i = 0;
    int count = 0;
    while (i + 2 <= n) {
      const int len = (p[i] << 8) | p[i + 1];
      if (i + 2 + (size_t)len > n) break;
      memcpy(source + at, p + i + 2, (size_t)len);
      offsets[source_count] = at;
      sizes[source_count] = len;
      ++source_count;
      at += (size_t)len;
      i += 2 + (size_t)len;
      ++count;
    }
    if (i != n || count != TILE) {
      fprintf(stderr, "pg_limit: --entries-from: bundle %d is not %d entries in bundle form\n", b,
              TILE);
      exit(1);
    }
  }
  PQclear(res);
  PQfinish(src);
}

/* Appends entry `leaf` in bundle form (BE16 length, bytes) to out; returns the new length. */
static size_t append_entry(char* out, size_t len, uint64_t leaf) {
  const long i = (long)(leaf % (uint64_t)source_count);
  out[len] = (char)(sizes[i] >> 8);
  out[len + 1] = (char)(sizes[i] & 0xff);
  memcpy(out + len + 2, source + offsets[i], (size_t)sizes[i]);
  return len + 2 + (size_t)sizes[i];
}

int main(int argc, char** argv) {
  const char* entries_from = NULL;
  const char* schema = NULL;
  int group = 1000, learner_count = 200;
  static const struct option options[] = {{"entries-from", required_argument, NULL, 'e'},
                                          {"group", required_argument, NULL, 'g'},
                                          {"learners", required_argument, NULL, 'l'},
                                          {"schema", required_argument, NULL, 's'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  for (int c; (c = getopt_long(argc, argv, "", options, NULL)) != -1;) {
    switch (c) {
      case 'e': entries_from = optarg; break;
      case 'g': group = atoi(optarg); break;
      case 'l': learner_count = atoi(optarg); break;
      case 's': schema = optarg; break;
      case 'h': usage(stdout); return 0;
      default: usage(stderr); return 2;
    }
  }
  if (argc - optind != 2 || entries_from == NULL) {
    usage(stderr);
    return 2;
  }
  const long records = atol(argv[optind + 1]);
  if (group < 1 || group > MAX_ROWS || learner_count < 1 || records < 1) {
    fprintf(stderr, "pg_limit: RECORDS must be >= 1, --group 1..%d, --learners >= 1\n", MAX_ROWS);
    return 2;
  }
  load_entries(entries_from);
  conn = PQconnectdb(argv[optind]);
  if (PQstatus(conn) != CONNECTION_OK) die("connect");
  if (schema) {
    FILE* f = fopen(schema, "rb");
    if (!f) die("open schema");
    static char ddl[1 << 20];
    size_t n = fread(ddl, 1, sizeof ddl - 1, f);
    fclose(f);
    ddl[n] = 0;
    PGresult* res = PQexec(conn, ddl);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) die("schema");
    PQclear(res);
  }
  PGresult* res = PQexec(conn,
                         "TRUNCATE log_leaves, log_nodes, log_tiles, log_bundles, unique_keys, "
                         "learner_records, checkpoints, kv_meta; "
                         "UPDATE log_head SET tree_size = 0, epoch = 1");
  if (PQresultStatus(res) != PGRES_COMMAND_OK) die("truncate");
  PQclear(res);
  for (int i = 0; i < MAX_ROWS * 4; ++i) formats[i] = 1;

  const Oid unique_types[] = {25, 20, 17, 25}, learner_types[] = {25, 20, 25},
            leaf_types[] = {20, 17}, cp_types[] = {20, 17}, tile_types[] = {17, 17},
            bundle_types[] = {20, 17};
  /* Statements for a full group and for the last, shorter one. */
  const int tail = (int)(records % group);
  for (int pass = 0; pass < 2; ++pass) {
    int n = pass == 0 ? group : tail;
    if (n == 0) continue;
    char name[32];
    snprintf(name, sizeof name, "unique%d", n);
    prepare_insert(name, "INSERT INTO unique_keys (key, leaf, fingerprint, id)", 4, n,
                   unique_types);
    snprintf(name, sizeof name, "learner%d", n);
    prepare_insert(name, "INSERT INTO learner_records (learner, leaf, record_id)", 3, n,
                   learner_types);
  }
  prepare_insert("run", "INSERT INTO log_leaves (leaf, entry)", 2, 1, leaf_types);
  prepare_insert("cp", "INSERT INTO checkpoints (tree_size, note)", 2, 1, cp_types);
  prepare_insert("tile", "INSERT INTO log_tiles (key, tile)", 2, 1, tile_types);
  prepare_insert("bundle", "INSERT INTO log_bundles (tile, bundle)", 2, 1, bundle_types);
  prepare("runs_of_tile", "DELETE FROM log_leaves WHERE leaf >= $1 AND leaf < $2", 2,
          (Oid[]){20, 20});
  prepare("meta",
          "INSERT INTO kv_meta (key, value) VALUES ($1, $2), ($3, $4) ON CONFLICT (key) "
          "DO UPDATE SET value = EXCLUDED.value",
          4, (Oid[]){17, 17, 17, 17});
  prepare("head",
          "WITH moved AS (UPDATE log_head SET tree_size = $1 WHERE log_id = 0 AND epoch = 1 AND "
          "tree_size = $2 RETURNING tree_size) SELECT 1 / (SELECT count(*) FROM moved)",
          2, (Oid[]){20, 20});
  prepare("begin", "BEGIN", 0, NULL);
  prepare("commit", "COMMIT", 0, NULL);

  /* Learner ids as the bank makes them ("lrn_" + 16 hex digits), taken in turn. */
  char(*learner_ids)[20] = malloc(sizeof *learner_ids * (size_t)learner_count);
  for (int i = 0; i < learner_count; ++i) {
    memcpy(learner_ids[i], "lrn_", 4);
    random_hex(learner_ids[i] + 4, 16);
  }
  int max_entry = 0;
  for (long i = 0; i < source_count; ++i) max_entry = sizes[i] > max_entry ? sizes[i] : max_entry;
  const size_t bundle_cap = (size_t)TILE * (2 + (size_t)max_entry);
  /* The unfinished tile's entries in bundle form, and the bundles a group fills. */
  char* edge = malloc(bundle_cap);
  size_t edge_len = 0;
  enum { kMaxFull = MAX_ROWS / TILE + 2, kMaxHashTiles = kMaxFull * 4 };
  char* full[kMaxFull];
  size_t full_len[kMaxFull];
  char full_index[kMaxFull][8];
  for (int i = 0; i < kMaxFull; ++i) full[i] = malloc(bundle_cap);
  /* Hash tiles are hashes: random bytes (a few different ones, each compressed on its own). */
  static char hash_tiles[4][TILE_BYTES];
  random_bytes(&hash_tiles[0][0], sizeof hash_tiles);
  static char tile_keys[kMaxHashTiles][9];
  static char range_be[kMaxFull][2][8];

  static char leaf_be[MAX_ROWS][8];
  static char ids[MAX_ROWS][28];
  static char fps[MAX_ROWS][32];
  static char note[220], size_be[8], old_be[8], run_be[8];
  memset(note, 'n', sizeof note);
  uint64_t hash_tile_rows = 0, bundles_written = 0;

  if (!PQenterPipelineMode(conn)) die("pipeline");
  double start = now_seconds();
  for (long first = 0; first < records; first += group) {
    const int n = (int)(records - first < group ? records - first : group);
    send("begin", 0);
    be64(size_be, (uint64_t)(first + n));
    be64(old_be, (uint64_t)first);
    param(0, size_be, 8);
    param(1, old_be, 8);
    send("head", 2);
    /* The group's entries: the bundles of the tiles it fills, then its run of the next one. */
    int filled = 0, hash_tiles_now = 0;
    uint64_t run_start = (uint64_t)first;
    size_t run_offset = edge_len;
    for (int r = 0; r < n; ++r) {
      const uint64_t leaf = (uint64_t)(first + r);
      be64(leaf_be[r], leaf);
      memcpy(ids[r], "rec_", 4);
      random_hex(ids[r] + 4, 24);
      random_bytes(fps[r], 32);
      edge_len = append_entry(edge, edge_len, leaf);
      if ((leaf + 1) % TILE != 0) continue;
      const uint64_t tile = leaf / TILE;
      memcpy(full[filled], edge, edge_len);
      full_len[filled] = edge_len;
      be64(full_index[filled], tile);
      be64(range_be[filled][0], tile * TILE);
      be64(range_be[filled][1], (tile + 1) * TILE);
      ++filled;
      /* The level-0 hash tile, and each tile above that this one completes. */
      uint64_t index = tile;
      for (int level = 0;; ++level) {
        tile_keys[hash_tiles_now][0] = (char)level;
        be64(tile_keys[hash_tiles_now] + 1, index);
        ++hash_tiles_now;
        if ((index + 1) % TILE != 0) break;
        index /= TILE;
      }
      edge_len = 0;
      run_offset = 0;
      run_start = leaf + 1;
    }
    char name[32];
    int p;
    /* Tables in the order PgKv writes them (the Kv table enum): kv_meta, unique_keys,
     * learner_records, log_leaves (deletes first), checkpoints, log_tiles, log_bundles. */
    param(0, "checkpoint", 10);
    param(1, note, sizeof note);
    param(2, "tree_size", 9);
    param(3, size_be, 8);
    send("meta", 4);
    for (p = 0; p < n * 4; p += 4) {
      int r = p / 4;
      param(p, ids[r], 28);
      param(p + 1, leaf_be[r], 8);
      param(p + 2, fps[r], 32);
      param(p + 3, "=", 1); /* a record's id is its key (storage/ledger.cc, UniqueValue) */
    }
    snprintf(name, sizeof name, "unique%d", n);
    send(name, p);
    for (p = 0; p < n * 3; p += 3) {
      int r = p / 3;
      const char* learner = learner_ids[(first + r) % learner_count];
      param(p, learner, 20);
      param(p + 1, leaf_be[r], 8);
      param(p + 2, ids[r], 28);
    }
    snprintf(name, sizeof name, "learner%d", n);
    send(name, p);
    for (int f = 0; f < filled; ++f) {
      param(0, range_be[f][0], 8);
      param(1, range_be[f][1], 8);
      send("runs_of_tile", 2);
    }
    if (edge_len > run_offset) {
      be64(run_be, run_start);
      param(0, run_be, 8);
      param(1, edge + run_offset, (int)(edge_len - run_offset));
      send("run", 2);
    }
    param(0, size_be, 8);
    param(1, note, sizeof note);
    send("cp", 2);
    for (int t = 0; t < hash_tiles_now; ++t) {
      param(0, tile_keys[t], 9);
      param(1, hash_tiles[(hash_tile_rows + (uint64_t)t) % 4], TILE_BYTES);
      send("tile", 2);
    }
    hash_tile_rows += (uint64_t)hash_tiles_now;
    for (int f = 0; f < filled; ++f) {
      param(0, full_index[f], 8);
      param(1, full[f], (int)full_len[f]);
      send("bundle", 2);
    }
    bundles_written += (uint64_t)filled;
    send("commit", 0);
    if (!PQpipelineSync(conn)) die("sync");
    /* Read the group's results up to its Sync before the next group (one writer, one group in
     * flight, as the Ledger). */
    for (;;) {
      PGresult* r = PQgetResult(conn);
      if (r == NULL) continue;
      ExecStatusType st = PQresultStatus(r);
      if (st == PGRES_FATAL_ERROR || st == PGRES_PIPELINE_ABORTED) die(PQresultErrorMessage(r));
      PQclear(r);
      if (st == PGRES_PIPELINE_SYNC) break;
    }
  }
  double seconds = now_seconds() - start;
  printf("pg_limit: %ld records in %.2f s = %.0f records/s (groups of %d; %llu bundles, %llu hash "
         "tiles; entries of %ld source records, %.0f bytes each on average)\n",
         records, seconds, records / seconds, group, (unsigned long long)bundles_written,
         (unsigned long long)hash_tile_rows, source_count,
         (double)(offsets[source_count - 1] + (size_t)sizes[source_count - 1]) / source_count);
  PQfinish(conn);
  return 0;
}
