#include "service/cosignatures.h"

namespace lcb {

void CosignedCheckpoints::Configure(size_t witnesses, size_t quorum) {
  std::lock_guard<std::mutex> lock(mu_);
  witnesses_ = witnesses;
  quorum_ = quorum;
}

bool CosignedCheckpoints::enabled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return witnesses_ > 0;
}

size_t CosignedCheckpoints::quorum() const {
  std::lock_guard<std::mutex> lock(mu_);
  return quorum_;
}

void CosignedCheckpoints::Add(const std::string& note, uint64_t size, const std::string& witness,
                              const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = by_size_[size];
  if (e.note != note) {  // a new checkpoint of that size (a restarted log): start again
    e.note = note;
    e.lines.clear();
  }
  e.lines[witness] = line;
  while (by_size_.size() > kKept) by_size_.erase(by_size_.begin());
}

std::string CosignedCheckpoints::WithLines(const Entry& e) {
  std::string out = e.note;
  for (const auto& [name, line] : e.lines) out += line;
  return out;
}

std::string CosignedCheckpoints::Served(const std::string& latest, uint64_t latest_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (witnesses_ == 0) return latest;
  if (quorum_ == 0) {
    auto it = by_size_.find(latest_size);
    return it != by_size_.end() && it->second.note == latest ? WithLines(it->second) : latest;
  }
  for (auto it = by_size_.rbegin(); it != by_size_.rend(); ++it) {
    if (it->first <= latest_size && it->second.lines.size() >= quorum_)
      return WithLines(it->second);
  }
  return latest;
}

std::string CosignedCheckpoints::Target(const std::string& witness, uint64_t min_size) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = by_size_.rbegin(); it != by_size_.rend() && it->first > min_size; ++it) {
    if (!it->second.lines.empty() && it->second.lines.count(witness) == 0) return it->second.note;
  }
  return "";
}

size_t CosignedCheckpoints::CountAt(uint64_t size) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_size_.find(size);
  return it == by_size_.end() ? 0 : it->second.lines.size();
}

}  // namespace lcb
