// embed_assets: turns the portal's files into a C++ source that defines EmbeddedAssets()
// (api/static_assets.h), so that the creditbank binary alone serves the portal.
//
//   embed_assets OUT.cc (--mount /PATH (--entry FILE[=NAME] | --file [?]FILE[=NAME])...)...
//
// Each --mount starts a URL folder; its files are named by their base name (or NAME). A file
// written ?FILE is optional: left out when it is absent or empty.
// Scripts (.js) and style sheets (.css) are renamed to <stem>.<10 hex of SHA-256>.<ext> after
// their references to sibling files are rewritten, leaves first, so a name changes whenever
// anything it loads changes (a cycle of references is an error). A reference is a string
// literal naming a sibling as './name.js' (module specifiers, static or dynamic) or an HTML
// attribute value "name.js". Entry pages (--entry) keep their names; in them the comment
// <!-- modulepreload --> becomes one <link rel="modulepreload"> per module that the page's
// scripts import statically (dynamic import('./x.js') targets load on demand).
//
// The output is deterministic: the same inputs give the same bytes.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crypto/sha256.h"

namespace {

struct File {
  std::string name;  // within the mount
  std::string source_path;
  std::string content;
  bool entry = false;
  std::string served_name;               // hashed for scripts and styles
  std::set<std::string> static_imports;  // names of siblings imported statically
  bool done = false;
  bool visiting = false;
};

struct Mount {
  std::string path;  // "/portal"
  std::map<std::string, File> files;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "embed_assets: %s\n", message.c_str());
  std::exit(1);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Extension(const std::string& name) {
  size_t dot = name.rfind('.');
  return dot == std::string::npos ? "" : name.substr(dot);
}

bool Hashed(const std::string& name) {
  std::string ext = Extension(name);
  return ext == ".js" || ext == ".css";
}

std::string ContentType(const std::string& name) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"}};
  auto it = kTypes.find(Extension(name));
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

std::string HexOf(const std::string& content) { return lcb::HashHex(lcb::Sha256(content)); }

// Replaces every quoted reference to a sibling in `text`: '<prefix><name>' or "<prefix><name>"
// (prefix "./" in scripts, "" in HTML and CSS). Calls `visit` first for each name referenced,
// with whether the reference is a dynamic import('...').
std::string RewriteReferences(const std::string& text, const std::string& prefix,
                              std::map<std::string, File>& files,
                              const std::function<void(File&, bool dynamic)>& visit) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char q = text[i];
    bool matched = false;
    if (q == '\'' || q == '"') {
      for (auto& [name, file] : files) {
        std::string ref = prefix + name;
        if (text.compare(i + 1, ref.size(), ref) != 0 || i + 1 + ref.size() >= text.size() ||
            text[i + 1 + ref.size()] != q) {
          continue;
        }
        size_t before = i;
        while (before > 0 && text[before - 1] == ' ') --before;
        bool dynamic = before >= 7 && text.compare(before - 7, 7, "import(") == 0;
        visit(file, dynamic);
        out += q + prefix + file.served_name + q;
        i += ref.size() + 2;
        matched = true;
        break;
      }
    }
    if (!matched) out += text[i++];
  }
  return out;
}

void Resolve(File& file, Mount& mount);

// The modulepreload links of an entry page: every module reachable by static imports from
// the page's scripts, in a stable order.
std::string PreloadLinks(const std::set<std::string>& roots, Mount& mount) {
  std::set<std::string> seen;
  std::vector<std::string> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    if (!seen.insert(name).second) continue;
    for (const std::string& dep : mount.files.at(name).static_imports) stack.push_back(dep);
  }
  std::string links;
  for (const std::string& name : seen) {
    if (Extension(name) != ".js") continue;
    links += "<link rel=\"modulepreload\" href=\"" + mount.files.at(name).served_name + "\">\n";
  }
  return links;
}

void Resolve(File& file, Mount& mount) {
  if (file.done) return;
  if (file.visiting) Die("a cycle of references through " + mount.path + "/" + file.name);
  file.visiting = true;
  bool script = Extension(file.name) == ".js";
  bool html = Extension(file.name) == ".html";
  auto visit = [&](File& dep, bool dynamic) {
    if (&dep == &file) Die(file.name + " refers to itself");
    Resolve(dep, mount);
    if (!dynamic && (script || html)) file.static_imports.insert(dep.name);
  };
  if (script || html || Extension(file.name) == ".css") {
    file.content = RewriteReferences(file.content, script ? "./" : "", mount.files, visit);
  }
  if (html) {
    const std::string marker = "<!-- modulepreload -->";
    size_t at = file.content.find(marker);
    if (at != std::string::npos) {
      file.content.replace(at, marker.size(), PreloadLinks(file.static_imports, mount));
    }
  }
  file.served_name = file.name;
  if (Hashed(file.name) && !file.entry) {
    size_t dot = file.name.rfind('.');
    file.served_name =
        file.name.substr(0, dot) + "." + HexOf(file.content).substr(0, 10) + file.name.substr(dot);
  }
  file.visiting = false;
  file.done = true;
}

// A C++ string literal holding `bytes` exactly: octal escapes for everything but printable
// ASCII, split into lines.
std::string Literal(const std::string& bytes) {
  std::string out = "\"";
  size_t line = 0;
  for (unsigned char c : bytes) {
    if (line >= 100) {
      out += "\"\n    \"";
      line = 0;
    }
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
      out += static_cast<char>(c);
      ++line;
    } else {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\%03o", c);
      out += esc;
      line += 4;
    }
  }
  return out + "\"";
}

std::vector<Mount> ParseArgs(int argc, char** argv) {
  std::vector<Mount> mounts;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Die(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--mount") {
      mounts.push_back(Mount{value, {}});
      continue;
    }
    if (mounts.empty()) Die(flag + " before any --mount");
    if (flag != "--entry" && flag != "--file") Die("unknown flag " + flag);
    File f;
    bool optional = value.starts_with("?");  // "?FILE": skipped when absent or empty
    if (optional) value.erase(0, 1);
    size_t eq = value.find('=');
    f.source_path = value.substr(0, eq);
    if (optional) {
      std::ifstream probe(f.source_path, std::ios::binary | std::ios::ate);
      if (!probe || probe.tellg() <= 0) continue;
    }
    f.name = eq == std::string::npos ? value.substr(value.rfind('/') + 1) : value.substr(eq + 1);
    f.entry = flag == "--entry";
    f.content = ReadFile(f.source_path);
    std::string name = f.name;
    if (!mounts.back().files.emplace(name, std::move(f)).second) Die("two files named " + name);
  }
  return mounts;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    Die("usage: embed_assets OUT.cc (--mount /PATH (--entry|--file) FILE[=NAME]...)...");
  std::vector<Mount> mounts = ParseArgs(argc, argv);
  std::map<std::string, const File*> by_path;  // served path -> file, sorted
  for (Mount& m : mounts) {
    for (auto& [name, file] : m.files) Resolve(file, m);
    for (auto& [name, file] : m.files) by_path[m.path + "/" + file.served_name] = &file;
  }
  std::ostringstream out;
  out << "// Generated by web/tools/embed_assets.cc from web/: do not edit.\n"
      << "#include \"api/static_assets.h\"\n\nnamespace lcb {\nnamespace {\n\n";
  size_t n = 0;
  for (const auto& [path, file] : by_path) {
    out << "// " << path << " <- " << file->source_path << "\n"
        << "constexpr char kAsset" << n++ << "[] =\n    " << Literal(file->content) << ";\n\n";
  }
  out << "constexpr StaticAsset kAssets[] = {\n";
  n = 0;
  for (const auto& [path, file] : by_path) {
    std::string etag = "\"\\\"" + HexOf(file->content).substr(0, 32) + "\\\"\"";
    bool immutable = file->served_name != file->name;
    out << "    {\"" << path << "\", \"" << ContentType(file->name) << "\", {kAsset" << n
        << ", sizeof(kAsset" << n << ") - 1}, " << etag << ", " << (immutable ? "true" : "false")
        << "},\n";
    ++n;
  }
  out << "};\n\n}  // namespace\n\n"
      << "std::span<const StaticAsset> EmbeddedAssets() { return kAssets; }\n\n"
      << "}  // namespace lcb\n";
  std::string text = out.str();
  // Rewrite only when changed, so an unchanged portal does not recompile.
  std::ifstream old(argv[1], std::ios::binary);
  std::ostringstream old_text;
  if (old) old_text << old.rdbuf();
  if (!old || old_text.str() != text) {
    std::ofstream o(argv[1], std::ios::binary | std::ios::trunc);
    o << text;
    if (!o) Die(std::string("cannot write ") + argv[1]);
  }
  return 0;
}
