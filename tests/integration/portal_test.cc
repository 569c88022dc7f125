// The portal's files as the server serves them (api/routes_portal.cc): redirects, the
// security headers on every answer, content-hashed names that match their content and are
// immutable, entry pages revalidated by ETag (304), and the API reference at /docs/.
#include <gtest/gtest.h>

#include <functional>
#include <regex>
#include <set>

#include "api/logging.h"
#include "api/static_assets.h"
#include "crypto/sha256.h"
#include "tests/integration/test_server.h"

namespace lcb::testing {
namespace {

constexpr const char* kPortalCsp =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
    "object-src 'none'";

class PortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetLogLevel("error");
    server_ = std::make_unique<TestServer>(dir_.path());
  }
  void ExpectSecurityHeaders(const ClientResponse& r, const std::string& what) {
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff") << what;
    EXPECT_EQ(r.headers.count("referrer-policy") ? r.headers.at("referrer-policy") : "",
              "no-referrer")
        << what;
    ASSERT_TRUE(r.headers.count("content-security-policy")) << what;
    const std::string& csp = r.headers.at("content-security-policy");
    EXPECT_EQ(csp.rfind("default-src 'self'", 0), 0u) << what << ": " << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what;
    // Never inline or remote script.
    EXPECT_EQ(csp.find("script-src"), std::string::npos) << what;
    EXPECT_EQ(csp.find("unsafe-eval"), std::string::npos) << what;
  }
  // Every src="..." and href="..." of a page that names a file next to it.
  static std::vector<std::string> LocalReferences(const std::string& html) {
    std::vector<std::string> out;
    std::regex ref("(?:src|href)=\"([a-z_]+[.][0-9a-f]{10}[.](?:js|css))\"");
    for (auto it = std::sregex_iterator(html.begin(), html.end(), ref);
         it != std::sregex_iterator(); ++it) {
      out.push_back((*it)[1]);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<TestServer> server_;
};

TEST_F(PortalTest, RootAndBarePathsRedirect) {
  ClientResponse root = server_->Call("GET", "/");
  EXPECT_EQ(root.status, 302);
  EXPECT_EQ(root.headers["location"], "/portal/");
  ExpectSecurityHeaders(root, "/");
  EXPECT_EQ(server_->Call("GET", "/portal").headers["location"], "/portal/");
  EXPECT_EQ(server_->Call("GET", "/docs").headers["location"], "/docs/");
}

TEST_F(PortalTest, TheEntryPageIsRevalidatedByEtag) {
  ClientResponse page = server_->Call("GET", "/portal/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_EQ(page.headers["cache-control"], "no-cache");
  EXPECT_EQ(page.headers["content-security-policy"], kPortalCsp);
  ExpectSecurityHeaders(page, "/portal/");
  std::string etag = page.headers["etag"];
  EXPECT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{32}\""))) << etag;
  ClientResponse again = server_->Call("GET", "/portal/", "", "", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.headers["etag"], etag);
  ExpectSecurityHeaders(again, "304");
  EXPECT_EQ(
      server_->Call("GET", "/portal/", "", "", {{"If-None-Match", "W/" + etag + ", \"x\""}}).status,
      304);
  EXPECT_EQ(server_->Call("GET", "/portal/", "", "", {{"If-None-Match", "\"other\""}}).status, 200);
  // No inline script or style in the page itself (the CSP would block it anyway).
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_EQ(page.body.find("style="), std::string::npos);
  EXPECT_EQ(page.body.find("<style"), std::string::npos);
  EXPECT_EQ(page.body.find("http://"), std::string::npos) << "no request leaves the origin";
  EXPECT_EQ(page.body.find("https://"), std::string::npos);
}

TEST_F(PortalTest, HashedFilesAreImmutableAndNamedByTheirContent) {
  ClientResponse page = server_->Call("GET", "/portal/");
  std::vector<std::string> refs = LocalReferences(page.body);
  ASSERT_GE(refs.size(), 3u) << page.body;  // the style sheet, main.js and its preloads
  std::set<std::string> seen;
  for (const std::string& name : refs) {
    if (!seen.insert(name).second) continue;
    ClientResponse r = server_->Call("GET", "/portal/" + name);
    ASSERT_EQ(r.status, 200) << name;
    EXPECT_EQ(r.headers["cache-control"], "public, max-age=31536000, immutable") << name;
    ExpectSecurityHeaders(r, name);
    std::string hash = HashHex(Sha256(r.body));
    EXPECT_NE(name.find("." + hash.substr(0, 10) + "."), std::string::npos) << name;
    EXPECT_EQ(r.headers["etag"], "\"" + hash.substr(0, 32) + "\"") << name;
    std::string type =
        name.ends_with(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8";
    EXPECT_EQ(r.headers["content-type"], type) << name;
    EXPECT_EQ(
        server_->Call("GET", "/portal/" + name, "", "", {{"If-None-Match", r.headers["etag"]}})
            .status,
        304);
    // A module refers to its siblings by their hashed names only.
    EXPECT_FALSE(std::regex_search(r.body, std::regex("'\\./[a-z_]+\\.js'")))
        << name << " imports an unhashed name";
  }
  // Unknown files are 404 with the same headers, and API answers keep no-store.
  ClientResponse missing = server_->Call("GET", "/portal/nope.js");
  EXPECT_EQ(missing.status, 404);
  ExpectSecurityHeaders(missing, "404");
  EXPECT_EQ(server_->Call("GET", "/healthz").headers["cache-control"], "no-store");
}

TEST_F(PortalTest, EveryEmbeddedFileIsServed) {
  size_t n = 0;
  for (const StaticAsset& a : EmbeddedAssets()) {
    ClientResponse r = server_->Call("GET", std::string(a.path));
    EXPECT_EQ(r.status, 200) << a.path;
    EXPECT_EQ(r.body.size(), a.body.size()) << a.path;
    EXPECT_EQ(r.headers["content-type"], a.content_type) << a.path;
    ++n;
  }
  EXPECT_GE(n, 10u);
  EXPECT_NE(FindAsset("/portal/index.html"), nullptr);
  EXPECT_NE(FindAsset("/docs/index.html"), nullptr);
  EXPECT_EQ(FindAsset("/portal/"), nullptr);
}

TEST_F(PortalTest, TheApiReferenceHasItsOwnNarrowPolicy) {
  ClientResponse docs = server_->Call("GET", "/docs/");
  ASSERT_EQ(docs.status, 200);
  ExpectSecurityHeaders(docs, "/docs/");
  const std::string& csp = docs.headers["content-security-policy"];
  EXPECT_NE(csp.find("style-src 'self' 'unsafe-inline'"), std::string::npos) << csp;
  EXPECT_NE(docs.body.find("/openapi.json"), std::string::npos);
  // Either the renderer was built in (and is served), or the page says how to get it.
  if (docs.body.find("redoc.standalone.") != std::string::npos) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(docs.body, m,
                                  std::regex("src=\"(redoc\\.standalone\\.[0-9a-f]{10}\\.js)\"")));
    ClientResponse bundle = server_->Call("GET", "/docs/" + m[1].str());
    EXPECT_EQ(bundle.status, 200);
    EXPECT_GT(bundle.body.size(), 100000u);
    EXPECT_EQ(server_->Call("GET", "/docs/licenses.txt").status, 200);
  } else {
    EXPECT_NE(docs.body.find("npm"), std::string::npos) << docs.body;
  }
}

// The document the reference renders: no schema member may be null (Redoc fails on a null
// "properties", which an empty initializer list once produced).
TEST_F(PortalTest, TheOpenApiDocumentHasNoNullMembers) {
  json doc = server_->CallJson("GET", "/openapi.json", "", nullptr, 200);
  std::vector<std::string> nulls;
  std::function<void(const json&, const std::string&)> walk = [&](const json& v, const std::string& at) {
    if (v.is_null()) nulls.push_back(at);
    if (v.is_object()) {
      for (const auto& [k, child] : v.items()) walk(child, at + "/" + k);
    } else if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) walk(v[i], at + "/" + std::to_string(i));
    }
  };
  walk(doc, "");
  EXPECT_TRUE(nulls.empty()) << nulls.front();
}

}  // namespace
}  // namespace lcb::testing
