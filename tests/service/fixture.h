// Services over a real RocksDB in a temp dir, for tests of one service at a time.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "common/encoding.h"
#include "config/config.h"
#include "crypto/sha256.h"
#include "service/services.h"

namespace lcb::testing {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lcb_service_" + HexEncode(RandomBytes(6)));
    Open();
  }
  void TearDown() override {
    services_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // (Re)opens the services over the same directory, with `flags` (config keys) besides.
  void Open(std::map<std::string, std::string> flags = {}) {
    services_.reset();
    auto services = TryOpen(std::move(flags));
    ASSERT_TRUE(services.ok()) << services.status().ToString();
    services_ = std::move(services).value();
  }
  StatusOr<std::unique_ptr<Services>> TryOpen(std::map<std::string, std::string> flags = {}) {
    flags["data_dir"] = dir_.string();
    auto config = LoadConfig("", {}, flags);
    if (!config.ok()) return config.status();
    return Services::Open(*config, &admin_token_);
  }
  Services& s() { return *services_; }

  static Principal Admin() {
    Principal p;
    p.kind = RoleKind::kAdmin;
    p.token_id = "test";
    return p;
  }

  // A small catalog: institutions "uni" (16 h/credit) and "ou", units, one learner.
  void LoadCatalog() {
    Institution uni{"uni", "示范大学", "university"};
    ASSERT_TRUE(s().catalog().PutInstitution(uni, Admin()).ok());
    Institution ou{"ou", "Open University", "open_university"};
    ASSERT_TRUE(s().catalog().PutInstitution(ou, Admin()).ok());
    ASSERT_TRUE(s().catalog().PutUnit(MakeUnit("uni:CS101", 400, 6, "0613"), Admin()).ok());
    ASSERT_TRUE(s().catalog().PutUnit(MakeUnit("uni:MA101", 500, 6, "0541"), Admin()).ok());
    Unit eng = MakeUnit("ou:ENG1", 250, 5, "0231");
    eng.kind = UnitKind::kNonDegreeCourse;
    eng.validity_years = 5;
    ASSERT_TRUE(s().catalog().PutUnit(eng, Admin()).ok());
    auto learner = s().learners().Create(NewLearner{"110101199003070011", "张三"}, Admin());
    ASSERT_TRUE(learner.ok()) << learner.status().ToString();
    learner_ = learner->id;
  }
  static Unit MakeUnit(const std::string& id, Centi credits, int level, const std::string& field) {
    Unit u;
    u.id = id;
    u.institution = id.substr(0, id.find(':'));
    u.title = id;
    u.credits = credits;
    u.level = level;
    u.field = field;
    return u;
  }
  static RecordInput Input(const std::string& learner, const std::string& unit,
                           const std::string& ref, const std::string& grade = "90",
                           const std::string& date = "2024-06-30") {
    RecordInput in;
    in.learner = learner;
    in.unit = unit;
    in.external_ref = ref;
    in.grade_scale = "percent";
    in.grade_value = grade;
    in.completed_on = date;
    return in;
  }
  // Posts and waits for the outcome.
  StatusOr<PostOutcome> Post(const std::string& issuer, std::vector<RecordInput> inputs,
                             BatchErrors* errors = nullptr) {
    std::promise<std::pair<StatusOr<PostOutcome>, BatchErrors>> done;
    auto f = done.get_future();
    s().records().Post(issuer, std::move(inputs), true, Submission{},
                       [&done](StatusOr<PostOutcome> r, BatchErrors e) {
                         done.set_value({std::move(r), std::move(e)});
                       });
    auto [result, errs] = f.get();
    if (errors) *errors = std::move(errs);
    return std::move(result);
  }
  // Waits for a callback-style call: Await<T>([&](auto done) { service.Op(..., done); }).
  template <typename T, typename Call>
  static StatusOr<T> Await(Call call) {
    std::promise<StatusOr<T>> p;
    auto f = p.get_future();
    call([&p](StatusOr<T> r) { p.set_value(std::move(r)); });
    return f.get();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Services> services_;
  std::string admin_token_;
  std::string learner_;
};

}  // namespace lcb::testing
