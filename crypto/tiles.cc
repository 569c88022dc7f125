#include "crypto/tiles.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace lcb {
namespace {

// Offset (in hashes) of subtree level r inside a stored tile: 256 + 128 + ... before it.
constexpr std::array<uint32_t, kTileHeight> kLevelOffset = {0, 256, 384, 448, 480, 496, 504, 508};

Hash HashAt(std::string_view bytes, size_t hash_index) {
  Hash h;
  std::memcpy(h.data(), bytes.data() + hash_index * sizeof(Hash), sizeof(Hash));
  return h;
}

void AppendHash(const Hash& h, std::string* out) {
  out->append(reinterpret_cast<const char*>(h.data()), h.size());
}

// A decimal without leading zeroes (or "0"), at most `max`.
bool ParseDecimal(std::string_view s, uint64_t max, uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v > max) return false;
  *out = v;
  return true;
}

bool ThreeDigits(std::string_view s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> SplitSlash(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t slash = path.find('/', pos);
    out.push_back(path.substr(pos, slash == std::string_view::npos ? slash : slash - pos));
    if (slash == std::string_view::npos) return out;
    pos = slash + 1;
  }
}

// The index groups "x001", "x234", "067": InvalidArgument unless they are the spec's encoding.
StatusOr<uint64_t> ParseIndexGroups(const std::vector<std::string_view>& groups) {
  if (groups.empty() || groups.size() > 7) {
    return Status::InvalidArgument(Field("/N"), "tile index must be 1-7 path elements");
  }
  unsigned __int128 v = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    std::string_view part = groups[g];
    const bool last = g + 1 == groups.size();
    if (!last) {
      if (part.size() != 4 || part[0] != 'x') {
        return Status::InvalidArgument(Field("/N"),
                                       "tile index elements but the last start with 'x'");
      }
      part.remove_prefix(1);
      if (g == 0 && part == "000") {
        return Status::InvalidArgument(Field("/N"), "tile index has a leading x000 element");
      }
    }
    if (!ThreeDigits(part)) {
      return Status::InvalidArgument(Field("/N"), "tile index elements are 3 digits");
    }
    v = v * 1000 +
        static_cast<unsigned>((part[0] - '0') * 100 + (part[1] - '0') * 10 + (part[2] - '0'));
  }
  if (v > UINT64_MAX) return Status::InvalidArgument(Field("/N"), "tile index is too large");
  return static_cast<uint64_t>(v);
}

}  // namespace

uint32_t TileWidthAt(int level, uint64_t index, uint64_t size) {
  if (level < 0 || level > kMaxTileLevel) return 0;
  const uint64_t full = FullTiles(level, size);
  if (index < full) return kTileWidth;
  if (index > full) return 0;
  return static_cast<uint32_t>((size >> (kTileHeight * level)) & (kTileWidth - 1));
}

std::string TileIndexPath(uint64_t index) {
  std::string digits = std::to_string(index);
  digits.insert(0, (3 - digits.size() % 3) % 3, '0');
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 3) {
    if (i + 3 < digits.size()) {
      out += 'x';
      out.append(digits, i, 3);
      out += '/';
    } else {
      out.append(digits, i, 3);
    }
  }
  return out;
}

std::string TilePath(int level, uint64_t index, uint32_t width) {
  std::string out = "tile/" + std::to_string(level) + "/" + TileIndexPath(index);
  if (width < kTileWidth) out += ".p/" + std::to_string(width);
  return out;
}

std::string EntryBundlePath(uint64_t index, uint32_t width) {
  std::string out = "tile/entries/" + TileIndexPath(index);
  if (width < kTileWidth) out += ".p/" + std::to_string(width);
  return out;
}

StatusOr<TileRef> ParseTilePath(std::string_view path) {
  std::vector<std::string_view> parts = SplitSlash(path);
  TileRef ref;
  uint64_t level = 0;
  if (parts[0] == "entries") {
    ref.level = -1;
  } else if (ParseDecimal(parts[0], 63, &level)) {
    ref.level = static_cast<int>(level);
  } else {
    return Status::InvalidArgument(Field("/L"), "tile level must be 0-63 or 'entries'");
  }
  parts.erase(parts.begin());
  if (parts.size() >= 2 && parts[parts.size() - 2].ends_with(".p")) {
    uint64_t width = 0;
    if (!ParseDecimal(parts.back(), kTileWidth - 1, &width) || width == 0) {
      return Status::InvalidArgument(Field("/W"), "partial tile width must be 1-255");
    }
    ref.width = static_cast<uint32_t>(width);
    parts.pop_back();
    parts.back().remove_suffix(2);
  }
  LCB_ASSIGN_OR_RETURN(ref.index, ParseIndexGroups(parts));
  return ref;
}

Status AppendBundleEntry(std::string_view entry, std::string* bundle) {
  if (entry.size() > kMaxBundledEntryBytes) {
    return Status::InvalidArgument(Field(""),
                                   "log entry of " + std::to_string(entry.size()) +
                                       " bytes exceeds the 65,535 an entry bundle holds");
  }
  bundle->push_back(static_cast<char>(entry.size() >> 8));
  bundle->push_back(static_cast<char>(entry.size() & 0xff));
  bundle->append(entry);
  return Status::Ok();
}

StatusOr<std::vector<std::string_view>> SplitBundle(std::string_view bundle) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < bundle.size()) {
    if (bundle.size() - pos < 2) return Status::DataLoss("entry bundle ends inside a length");
    size_t len = (static_cast<uint8_t>(bundle[pos]) << 8) | static_cast<uint8_t>(bundle[pos + 1]);
    pos += 2;
    if (bundle.size() - pos < len) return Status::DataLoss("entry bundle ends inside an entry");
    out.push_back(bundle.substr(pos, len));
    pos += len;
  }
  return out;
}

StatusOr<std::string_view> BundleEntry(std::string_view bundle, uint32_t k) {
  size_t pos = 0;
  for (uint32_t i = 0;; ++i) {
    if (bundle.size() - pos < 2) return Status::DataLoss("entry bundle has too few entries");
    size_t len = (static_cast<uint8_t>(bundle[pos]) << 8) | static_cast<uint8_t>(bundle[pos + 1]);
    pos += 2;
    if (bundle.size() - pos < len) return Status::DataLoss("entry bundle ends inside an entry");
    if (i == k) return bundle.substr(pos, len);
    pos += len;
  }
}

Hash StoredTileNode(std::string_view stored, int r, uint32_t j) {
  return HashAt(stored, kLevelOffset[static_cast<size_t>(r)] + j);
}

Hash StoredTileRoot(std::string_view stored) {
  return NodeHash(StoredTileNode(stored, kTileHeight - 1, 0),
                  StoredTileNode(stored, kTileHeight - 1, 1));
}

std::string StoredTileFromBase(const std::vector<Hash>& base) {
  std::string out;
  out.reserve(kStoredTileBytes);
  std::vector<Hash> level = base;
  for (int r = 0; r < kTileHeight; ++r) {
    for (const Hash& h : level) AppendHash(h, &out);
    std::vector<Hash> up;
    for (size_t k = 0; k + 1 < level.size(); k += 2) up.push_back(NodeHash(level[k], level[k + 1]));
    level = std::move(up);
  }
  return out;
}

StatusOr<TileEdge> TileEdge::Restore(uint64_t size, const std::vector<std::vector<Hash>>& bases) {
  TileEdge edge;
  for (int t = 0; t <= kMaxTileLevel; ++t) {
    const size_t want = TileWidthAt(t, FullTiles(t, size), size);
    const size_t got =
        static_cast<size_t>(t) < bases.size() ? bases[static_cast<size_t>(t)].size() : 0;
    if (got != want) {
      return Status::InvalidArgument(Field(""), "partial tile at level " + std::to_string(t) +
                                                    " of a tree of size " + std::to_string(size) +
                                                    " has " + std::to_string(want) +
                                                    " hashes, got " + std::to_string(got));
    }
    if (want == 0 && (size >> (kTileHeight * t)) == 0) break;
    edge.levels_.resize(static_cast<size_t>(t) + 1);
    Partial& p = edge.levels_[static_cast<size_t>(t)];
    if (want == 0) continue;
    p[0] = bases[static_cast<size_t>(t)];
    for (int r = 1; r < kTileHeight; ++r) {
      const std::vector<Hash>& below = p[static_cast<size_t>(r - 1)];
      for (size_t k = 0; k + 1 < below.size(); k += 2) {
        p[static_cast<size_t>(r)].push_back(NodeHash(below[k], below[k + 1]));
      }
    }
  }
  // Every frontier node is a complete subtree inside a partial tile (the rest of its tile is
  // beyond the tree), so the frontier comes from the edge alone.
  class Reader final : public NodeReader {
   public:
    Reader(const TileEdge& e, uint64_t size) : e_(e), size_(size) {}
    StatusOr<Hash> Node(int level, uint64_t index) override {
      return e_.NodeAt(size_, level, index);
    }

   private:
    const TileEdge& e_;
    uint64_t size_;
  };
  Reader reader(edge, size);
  LCB_ASSIGN_OR_RETURN(edge.frontier_, Frontier::Load(size, reader));
  return edge;
}

void TileEdge::Append(const Hash& leaf_hash, std::vector<StoredNode>* completed,
                      std::vector<FullTile>* full) {
  thread_local std::vector<StoredNode> nodes;
  nodes.clear();
  frontier_.Append(leaf_hash, &nodes);
  for (const StoredNode& n : nodes) {
    const size_t t = static_cast<size_t>(n.level / kTileHeight);
    const size_t r = static_cast<size_t>(n.level % kTileHeight);
    if (r == 0 && t > 0) {
      // This node is the root of tile (t-1, n.index), whose subtree is now complete.
      Partial& done = levels_[t - 1];
      if (full != nullptr) {
        FullTile tile{static_cast<int>(t - 1), n.index, {}};
        tile.stored.reserve(kStoredTileBytes);
        for (const auto& level : done) {
          for (const Hash& h : level) AppendHash(h, &tile.stored);
        }
        full->push_back(std::move(tile));
      }
      for (auto& level : done) level.clear();
    }
    if (levels_.size() <= t) levels_.resize(t + 1);
    levels_[t][r].push_back(n.hash);
  }
  if (completed != nullptr) completed->insert(completed->end(), nodes.begin(), nodes.end());
}

std::string TileEdge::PartialTile(int level) const {
  std::string out;
  if (level < 0 || static_cast<size_t>(level) >= levels_.size()) return out;
  for (const Hash& h : levels_[static_cast<size_t>(level)][0]) AppendHash(h, &out);
  return out;
}

StatusOr<Hash> TileEdge::NodeAt(uint64_t size, int level, uint64_t index) const {
  const int t = level / kTileHeight;
  const int r = level % kTileHeight;
  if (level >= 0 && static_cast<size_t>(t) < levels_.size()) {
    const uint64_t partial = FullTiles(t, size);
    const int shift = kTileHeight - r;
    if ((index >> shift) == partial) {
      const std::vector<Hash>& row = levels_[static_cast<size_t>(t)][static_cast<size_t>(r)];
      const uint64_t j = index - (partial << shift);
      if (j < row.size()) return row[j];
    }
  }
  return Status::NotFound("node " + std::to_string(level) + "/" + std::to_string(index) +
                          " is not in a partial tile of a tree of size " + std::to_string(size));
}

}  // namespace lcb
