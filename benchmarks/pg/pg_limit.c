/* The limit for the log writer on PostgreSQL (issue 18): the rows a commit group of the Ledger
 * writes, written by the simplest fast libpq client there is. Per record: one log_leaves row
 * (a 640-byte entry), the log_nodes rows its append completes (two on average, 32-byte hashes),
 * one unique_keys row and one learner_records row; per group of GROUP records: the fencing
 * UPDATE of log_head, one checkpoints row and two kv_meta rows. One transaction per group;
 * every statement a multi-row INSERT ... VALUES with binary parameters (plain INSERT: no
 * ON CONFLICT), all of a group's statements sent in one pipeline with one Sync.
 *
 * usage: pg_limit DSN RECORDS [GROUP] [SCHEMA.sql]
 * With SCHEMA.sql (storage/sql/postgres.sql) the tables are created first; they are emptied.
 * Prints one line: records/s. */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 1000 /* rows per INSERT */
#define ENTRY_BYTES 640
#define NODE_CHUNK 512 /* node rows go in chunks of 512, 256, ..., 1 */

static PGconn* conn;

static void die(const char* what) {
  fprintf(stderr, "pg_limit: %s: %s\n", what, PQerrorMessage(conn));
  exit(1);
}

static void be64(char* out, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = (char)(v & 0xff);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Parameter arrays for one statement, reused. */
static const char* values[MAX_ROWS * 4];
static int lengths[MAX_ROWS * 4];
static int formats[MAX_ROWS * 4];

/* "INSERT INTO t (cols) VALUES ($1,..),(..)" for n rows of w columns, prepared once per n. */
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
  PGresult* res = PQprepare(conn, name, sql, n * w, oids);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) die("prepare");
  PQclear(res);
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

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: pg_limit DSN RECORDS [GROUP] [SCHEMA.sql]\n");
    return 2;
  }
  const long records = atol(argv[2]);
  const int group = argc > 3 ? atoi(argv[3]) : 1000;
  if (group < 1 || group > MAX_ROWS) {
    fprintf(stderr, "pg_limit: GROUP must be 1..%d\n", MAX_ROWS);
    return 2;
  }
  conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) die("connect");
  if (argc > 4) {
    FILE* f = fopen(argv[4], "rb");
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
                         "TRUNCATE log_leaves, log_nodes, unique_keys, learner_records, "
                         "checkpoints, kv_meta; UPDATE log_head SET tree_size = 0, epoch = 1");
  if (PQresultStatus(res) != PGRES_COMMAND_OK) die("truncate");
  PQclear(res);
  for (int i = 0; i < MAX_ROWS * 4; ++i) formats[i] = 1;

  const Oid leaf_types[] = {20, 17}, node_types[] = {20, 17}, unique_types[] = {25, 20, 17, 25},
            learner_types[] = {25, 20, 25}, cp_types[] = {20, 17}, meta_types[] = {17, 17},
            head_types[] = {20, 20};
  /* Statements for a full group and for the last, shorter one. */
  const int tail = (int)(records % group);
  for (int pass = 0; pass < 2; ++pass) {
    int n = pass == 0 ? group : tail;
    if (n == 0) continue;
    char name[32];
    snprintf(name, sizeof name, "leaves%d", n);
    prepare_insert(name, "INSERT INTO log_leaves (leaf, entry)", 2, n, leaf_types);
    snprintf(name, sizeof name, "unique%d", n);
    prepare_insert(name, "INSERT INTO unique_keys (key, leaf, fingerprint, id)", 4, n,
                   unique_types);
    snprintf(name, sizeof name, "learner%d", n);
    prepare_insert(name, "INSERT INTO learner_records (learner, leaf, record_id)", 3, n,
                   learner_types);
  }
  for (int n = 1; n <= NODE_CHUNK; n *= 2) { /* nodes: chunks of powers of two */
    char name[32];
    snprintf(name, sizeof name, "nodes%d", n);
    prepare_insert(name, "INSERT INTO log_nodes (node, hash)", 2, n, node_types);
  }
  prepare_insert("cp", "INSERT INTO checkpoints (tree_size, note)", 2, 1, cp_types);
  PQclear(PQprepare(conn, "meta",
                    "INSERT INTO kv_meta (key, value) VALUES ($1, $2), ($3, $4) ON CONFLICT (key) "
                    "DO UPDATE SET value = EXCLUDED.value",
                    4, (Oid[]){17, 17, 17, 17}));
  PQclear(PQprepare(conn, "head",
                    "UPDATE log_head SET tree_size = $1 WHERE log_id = 0 AND epoch = 1 AND "
                    "tree_size = $2",
                    2, head_types));
  PQclear(PQprepare(conn, "begin", "BEGIN", 0, NULL));
  PQclear(PQprepare(conn, "commit", "COMMIT", 0, NULL));
  (void)meta_types;

  static char entries[MAX_ROWS][ENTRY_BYTES];
  static char leaf_be[MAX_ROWS][8];
  static char ids[MAX_ROWS][32];
  static char learners[MAX_ROWS][16];
  static char hashes[MAX_ROWS * 2 + 64][32];
  static char node_be[MAX_ROWS * 2 + 64][8];
  static char fp[32], note[220], size_be[8], old_be[8];
  memset(fp, 0xab, sizeof fp);
  memset(note, 'n', sizeof note);
  uint64_t node_number = 0;

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
    int nodes = 0;
    for (int r = 0; r < n; ++r) {
      uint64_t leaf = (uint64_t)(first + r);
      be64(leaf_be[r], leaf);
      memset(entries[r], 'r', ENTRY_BYTES);
      memcpy(entries[r], leaf_be[r], 8);
      snprintf(ids[r], sizeof ids[r], "rec_%024llx", (unsigned long long)(leaf * 2654435761u));
      snprintf(learners[r], sizeof learners[r], "lrn_%06llu", (unsigned long long)(leaf % 100000));
      /* Appending leaf c-1 completes 1 + (trailing zeros of c) nodes. */
      for (int k = 1 + __builtin_ctzll(leaf + 1); k > 0; --k) {
        be64(node_be[nodes], node_number++);
        memset(hashes[nodes], (int)(node_number & 0xff), 32);
        ++nodes;
      }
    }
    char name[32];
    int p = 0;
    for (int r = 0; r < n; ++r, p += 2) {
      param(p, leaf_be[r], 8);
      param(p + 1, entries[r], ENTRY_BYTES);
    }
    snprintf(name, sizeof name, "leaves%d", n);
    send(name, p);
    for (int done = 0; done < nodes;) {
      int chunk = NODE_CHUNK;
      while (chunk > nodes - done) chunk /= 2;
      for (p = 0; p < chunk * 2; p += 2) {
        param(p, node_be[done + p / 2], 8);
        param(p + 1, hashes[done + p / 2], 32);
      }
      snprintf(name, sizeof name, "nodes%d", chunk);
      send(name, p);
      done += chunk;
    }
    for (p = 0; p < n * 4; p += 4) {
      int r = p / 4;
      param(p, ids[r], 28);
      param(p + 1, leaf_be[r], 8);
      param(p + 2, fp, 32);
      param(p + 3, ids[r], 28);
    }
    snprintf(name, sizeof name, "unique%d", n);
    send(name, p);
    for (p = 0; p < n * 3; p += 3) {
      int r = p / 3;
      param(p, learners[r], (int)strlen(learners[r]));
      param(p + 1, leaf_be[r], 8);
      param(p + 2, ids[r], 28);
    }
    snprintf(name, sizeof name, "learner%d", n);
    send(name, p);
    param(0, size_be, 8);
    param(1, note, sizeof note);
    send("cp", 2);
    param(0, "checkpoint", 10);
    param(1, note, sizeof note);
    param(2, "tree_size", 9);
    param(3, size_be, 8);
    send("meta", 4);
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
  printf("pg_limit: %ld records in %.2f s = %.0f records/s (groups of %d, %llu node rows)\n",
         records, seconds, records / seconds, group, (unsigned long long)node_number);
  PQfinish(conn);
  return 0;
}
