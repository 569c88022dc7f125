#include "service/passbook.h"

namespace lcb {

StatusOr<PassbookView> PassbookService::Get(const std::string& learner, Days today) {
  if (!learners_->Exists(learner)) return Status::NotFound("no learner '" + learner + "'");
  const uint64_t generation = generations_->Of(learner);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(learner);
    if (it != cache_.end() && it->second.version == generation && it->second.as_of == today) {
      return it->second;
    }
  }
  LCB_ASSIGN_OR_RETURN(auto records, records_->AllRecords(learner));
  PassbookView view{std::make_shared<const Passbook>(ComputePassbook(*records, today)), today,
                    generation};
  std::lock_guard<std::mutex> lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_[learner] = view;
  return view;
}

}  // namespace lcb
