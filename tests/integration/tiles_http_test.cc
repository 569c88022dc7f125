// The log as C2SP tlog-tiles over HTTP (api/routes_tiles.cc) on a real server: every
// checkpoint the bank signed is recomputed from tiles fetched under /log/ alone; entry bundles
// hash to the level-0 tiles; partial widths, path encoding, access and caching headers.
#include <gtest/gtest.h>

#include "cli/rest_client.h"
#include "crypto/checkpoint.h"
#include "crypto/gzip.h"
#include "crypto/merkle.h"
#include "crypto/tiles.h"
#include "tests/integration/scripted_server.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

class TilesHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(dir_.sub("bank"));
    cat_.Load(*server_);
  }
  // Posts `n` records in one batch and returns the checkpoint of its receipts.
  std::string Post(int n) {
    json batch = {{"records", json::array()}};
    for (int i = 0; i < n; ++i) {
      batch["records"].push_back(cat_.Record(i % 2 ? cat_.learner_a : cat_.learner_b,
                                             "tsinghua:CS101",
                                             "tiles-" + std::to_string(++posted_)));
    }
    json r = server_->CallJson("POST", "/v1/records", cat_.tsinghua_token, batch, 201);
    return r["records"][0]["receipt"]["checkpoint"];
  }
  ClientResponse Get(const std::string& path, const std::string& token = "",
                     std::map<std::string, std::string> headers = {}) {
    return server_->Call("GET", path, token, "", std::move(headers));
  }
  // The level-`level` hashes [0, count) of the tree of `size`, from tiles alone.
  std::vector<Hash> LevelFromTiles(int level, uint64_t size) {
    std::vector<Hash> out;
    for (uint64_t n = 0;; ++n) {
      const uint32_t w = TileWidthAt(level, n, size);
      if (w == 0) break;
      ClientResponse r = Get("/log/" + TilePath(level, n, w));
      EXPECT_EQ(r.status, 200) << TilePath(level, n, w) << ": " << r.body;
      EXPECT_EQ(r.body.size(), w * 32u);
      for (uint32_t k = 0; k < w && r.body.size() == w * 32u; ++k) {
        Hash h;
        std::copy(r.body.begin() + 32 * k, r.body.begin() + 32 * (k + 1), h.begin());
        out.push_back(h);
      }
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
  Catalog cat_;
  int posted_ = 0;
};

// Batches that cross tile boundaries (partial tiles of every width the checkpoints name);
// for each checkpoint, the leaf hashes from level-0 tiles give its signed root, the level-1
// tiles hold the roots of the full level-0 tiles, and each entry of each bundle hashes to its
// leaf.
TEST_F(TilesHttpTest, EveryCheckpointRootIsRecomputedFromTilesAlone) {
  std::vector<std::string> notes;
  for (int n : {1, 3, 250, 2, 256, 100, 300, 7}) notes.push_back(Post(n));
  notes.push_back(Get("/log/checkpoint").body);
  EXPECT_EQ(notes.back(), Get("/v1/log/checkpoint").body);
  for (const std::string& note : notes) {
    auto cp = ParseCheckpointBody(note.substr(0, note.find("\n\n") + 1));
    ASSERT_TRUE(cp.ok()) << note;
    std::vector<Hash> leaves = LevelFromTiles(0, cp->size);
    ASSERT_EQ(leaves.size(), cp->size);
    MemoryTree tree;
    for (const Hash& h : leaves) tree.Append(h);
    EXPECT_EQ(tree.Root(), cp->root) << "size " << cp->size;
    std::vector<Hash> level1 = LevelFromTiles(1, cp->size);
    ASSERT_EQ(level1.size(), cp->size / 256);
    for (size_t k = 0; k < level1.size(); ++k) EXPECT_EQ(level1[k], tree.Node(8, k).value());
  }
  auto cp = ParseCheckpointBody(notes.back().substr(0, notes.back().find("\n\n") + 1));
  std::vector<Hash> leaves = LevelFromTiles(0, cp->size);
  for (uint64_t n = 0; TileWidthAt(0, n, cp->size) > 0; ++n) {
    const uint32_t w = TileWidthAt(0, n, cp->size);
    ClientResponse r = Get("/log/" + EntryBundlePath(n, w), cat_.auditor_token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto entries = SplitBundle(r.body);
    ASSERT_TRUE(entries.ok());
    ASSERT_EQ(entries->size(), w);
    for (uint32_t k = 0; k < w; ++k) EXPECT_EQ(LeafHash((*entries)[k]), leaves[n * 256 + k]);
  }
}

TEST_F(TilesHttpTest, PartialWidthsAndPathEncoding) {
  Post(300);  // plus nothing else: the log holds exactly 300 entries
  ASSERT_EQ(server_->ledger().Size(), 300u);
  EXPECT_EQ(Get("/log/tile/0/000").body.size(), 8192u);
  EXPECT_EQ(Get("/log/tile/0/000.p/17").body.size(), 17u * 32);  // a prefix of a full tile
  EXPECT_EQ(Get("/log/tile/0/001.p/44").body.size(), 44u * 32);
  EXPECT_EQ(Get("/log/tile/0/001.p/1").body, Get("/log/tile/0/001.p/44").body.substr(0, 32));
  EXPECT_EQ(Get("/log/tile/0/001.p/45").status, 404);
  EXPECT_EQ(Get("/log/tile/0/001").status, 404);
  EXPECT_EQ(Get("/log/tile/0/002.p/1").status, 404);
  EXPECT_EQ(Get("/log/tile/1/000.p/1").body.size(), 32u);
  EXPECT_EQ(Get("/log/tile/1/000.p/2").status, 404);
  EXPECT_EQ(Get("/log/tile/2/000.p/1").status, 404);
  // Large indexes parse (every pattern length is routed) and are simply not there.
  EXPECT_EQ(Get("/log/tile/0/x001/x234/067").status, 404);
  EXPECT_EQ(Get("/log/tile/0/x018/x446/x744/x073/x709/x551/615").status, 404);
  EXPECT_EQ(Get("/log/tile/0/x018/x446/x744/x073/x709/x551/615.p/255").status, 404);
  EXPECT_EQ(Get("/log/tile/entries/x001/000.p/3", cat_.auditor_token).status, 404);
  // Paths the spec does not write: 400 naming the part.
  for (const char* bad : {"/log/tile/0/0", "/log/tile/0/x000/001", "/log/tile/00/000",
                          "/log/tile/0/000.p/0", "/log/tile/0/000.p/256", "/log/tile/0/000.p/07",
                          "/log/tile/x/000", "/log/tile/0/x019/x000/x000/x000/x000/x000/000"}) {
    ClientResponse r = Get(bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("pointer"), std::string::npos) << bad;
  }
}

// The headers the tile routes set (through App::Dispatch, where the route's answer is whole;
// the HTTP server adds its default `Cache-Control: no-store` only to answers that set none --
// see the report: that default is api/server.cc's), then access over the wire.
TEST_F(TilesHttpTest, CachingHeadersAndWhoReadsEntries) {
  Post(260);
  App& app = server_->app();
  auto dispatch = [&](const std::string& path, const std::string& token = "",
                      const std::string& if_none_match = "") {
    HttpRequest req;
    req.method = "GET";
    req.target = req.path = path;
    if (!token.empty()) req.headers["authorization"] = "Bearer " + token;
    if (!if_none_match.empty()) req.headers["if-none-match"] = if_none_match;
    HttpResponse out;
    app.Dispatch(std::move(req), [&](HttpResponse r) { out = std::move(r); });
    return out;
  };
  auto header = [](const HttpResponse& r, const std::string& name) {
    std::string value;
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        EXPECT_TRUE(value.empty()) << name << " set twice";
        value = v;
      }
    }
    return value;
  };
  HttpResponse full = dispatch("/log/tile/0/000");
  ASSERT_EQ(full.status, 200);
  EXPECT_EQ(full.content_type, "application/octet-stream");
  EXPECT_EQ(full.body.size(), 8192u);
  EXPECT_EQ(header(full, "Cache-Control"), "public, max-age=31536000, immutable");
  const std::string etag = header(full, "ETag");
  ASSERT_FALSE(etag.empty());
  HttpResponse again = dispatch("/log/tile/0/000", "", etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  HttpResponse partial = dispatch("/log/tile/0/001.p/4");
  EXPECT_EQ(header(partial, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_NE(header(partial, "ETag"), etag);
  HttpResponse missing = dispatch("/log/tile/0/001.p/5");
  EXPECT_EQ(missing.status, 404);
  EXPECT_TRUE(header(missing, "Cache-Control").empty()) << "a 404 is not cached";
  HttpResponse cp = dispatch("/log/checkpoint");
  EXPECT_EQ(cp.status, 200);
  EXPECT_EQ(header(cp, "Cache-Control"), "no-cache");
  EXPECT_EQ(cp.content_type, "text/plain; charset=utf-8");
  // Over the wire: the bytes and the validator arrive.
  ClientResponse wire = Get("/log/tile/0/000");
  EXPECT_EQ(wire.body, full.body);
  EXPECT_EQ(wire.headers["etag"], etag);

  // Entry bundles hold learners' records: auditors only, like GET /v1/log/entries.
  ClientResponse anon = Get("/log/tile/entries/000");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(anon.headers["www-authenticate"], "Bearer");
  EXPECT_EQ(Get("/log/tile/entries/000", cat_.learner_a_token).status, 403);
  EXPECT_EQ(Get("/log/tile/entries/000", cat_.tsinghua_token).status, 403);
  EXPECT_EQ(Get("/log/tile/entries/000", server_->admin_token()).status, 403);
  ClientResponse bundle = Get("/log/tile/entries/000", cat_.auditor_token);
  ASSERT_EQ(bundle.status, 200);
  EXPECT_EQ(SplitBundle(bundle.body)->size(), 256u);
  EXPECT_EQ(header(dispatch("/log/tile/entries/000", cat_.auditor_token), "Cache-Control"),
            "private, max-age=31536000, immutable");

  // Gzip for a client that takes it: the same bytes once decoded, its own validator, Vary on
  // both representations; hash tiles never, nor a client that refuses it.
  auto get = [&](const std::string& path, const std::string& accept,
                 const std::string& if_none_match = "") {
    std::map<std::string, std::string> h = {{"Accept-Encoding", accept}};
    if (!if_none_match.empty()) h["If-None-Match"] = if_none_match;
    return Get(path, cat_.auditor_token, std::move(h));
  };
  EXPECT_EQ(bundle.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(bundle.headers.count("content-encoding"), 0u);
  ClientResponse gz = get("/log/tile/entries/000", "deflate, gzip");
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.headers["content-encoding"], "gzip");
  EXPECT_EQ(gz.headers["vary"], "Accept-Encoding");
  EXPECT_EQ(gz.headers["cache-control"], "private, max-age=31536000, immutable");
  EXPECT_LT(gz.body.size(), bundle.body.size() / 3) << "JSON entries compress";
  auto decoded = GzipDecompress(gz.body, size_t{1} << 26);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, bundle.body);
  const std::string gz_etag = gz.headers["etag"];
  EXPECT_NE(gz_etag, bundle.headers["etag"]);
  EXPECT_EQ(get("/log/tile/entries/000", "gzip", gz_etag).status, 304);
  EXPECT_EQ(get("/log/tile/entries/000", "identity", gz_etag).status, 200)
      << "the gzip validator does not name the identity body";
  for (const char* takes : {"gzip", "GZIP", "x-gzip", "*", "br;q=1, gzip;q=0.5", " gzip ; q=1"}) {
    EXPECT_EQ(get("/log/tile/entries/001.p/4", takes).headers["content-encoding"], "gzip") << takes;
  }
  for (const char* refuses :
       {"identity", "br", "gzip;q=0", "gzip; q=0.000", "*;q=0", "*, gzip;q=0", ""}) {
    ClientResponse plain = get("/log/tile/entries/001.p/4", refuses);
    EXPECT_EQ(plain.headers.count("content-encoding"), 0u) << refuses;
    EXPECT_EQ(SplitBundle(plain.body)->size(), 4u) << refuses;
  }
  ClientResponse tile = get("/log/tile/0/000", "gzip");
  EXPECT_EQ(tile.headers.count("content-encoding"), 0u) << "hash tiles are never encoded";
  EXPECT_EQ(tile.body, full.body);
  // The CLI's client (monitor, audit) asks for gzip and hands on the decoded body; a body that
  // does not decode, or a coding it did not ask for, is an error.
  ScriptedServer scripted({Answer(200, GzipCompress("[\"decoded\"]"), "Content-Encoding: gzip\r\n"),
                           Answer(200, "[1]", "Content-Encoding: gzip\r\n"),
                           Answer(200, "[2]", "Content-Encoding: br\r\n")});
  auto scripted_client = RestClient::Connect(scripted.url());
  ASSERT_TRUE(scripted_client.ok());
  auto decoded_answer = (*scripted_client)->Send("GET", "/one", "");
  ASSERT_TRUE(decoded_answer.ok()) << decoded_answer.status().ToString();
  EXPECT_EQ(decoded_answer->body, "[\"decoded\"]");
  ASSERT_FALSE(scripted.requests().empty());
  EXPECT_NE(scripted.requests()[0].find("Accept-Encoding: gzip"), std::string::npos)
      << scripted.requests()[0];
  auto undecodable = (*scripted_client)->Send("GET", "/two", "");
  ASSERT_FALSE(undecodable.ok());
  EXPECT_NE(undecodable.status().message().find("does not decode"), std::string::npos)
      << undecodable.status().ToString();
  auto unasked = (*scripted_client)->Send("GET", "/three", "");
  ASSERT_FALSE(unasked.ok());
  EXPECT_NE(unasked.status().message().find("not asked for"), std::string::npos)
      << unasked.status().ToString();
  auto client = RestClient::Connect(server_->url());
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  auto via_cli = (*client)->Send("GET", "/log/tile/entries/000", cat_.auditor_token);
  ASSERT_TRUE(via_cli.ok()) << via_cli.status().ToString();
  EXPECT_EQ(via_cli->body, bundle.body);
  EXPECT_EQ(via_cli->headers.count("content-encoding"), 0u);
}

}  // namespace
}  // namespace lcb::testing
