// PreferredMediaType against RFC 9110's rules (section 12.5.1) and the headers real clients send.
#include "api/content_negotiation.h"

#include <gtest/gtest.h>

#include <string>

namespace lcb {
namespace {

size_t Pick(const char* accept, const std::vector<std::string_view>& offers) {
  if (!accept) return PreferredMediaType(nullptr, offers);
  const std::string header = accept;
  return PreferredMediaType(&header, offers);
}

const std::vector<std::string_view> kStats = {"application/json", "text/csv"};
const std::vector<std::string_view> kTranscript = {"application/json", "text/html"};

TEST(PreferredMediaType, NoHeaderOrAnythingTakesTheDefault) {
  EXPECT_EQ(Pick(nullptr, kStats), 0u);
  EXPECT_EQ(Pick("*/*", kStats), 0u);
  EXPECT_EQ(Pick("", kStats), 0u);
  EXPECT_EQ(Pick("   ,  ,", kStats), 0u);
  EXPECT_EQ(Pick("text/csv", {"application/json"}), 0u);  // one offer
}

TEST(PreferredMediaType, AnExactTypeIsChosen) {
  EXPECT_EQ(Pick("text/csv", kStats), 1u);
  EXPECT_EQ(Pick("TEXT/CSV", kStats), 1u);
  EXPECT_EQ(Pick("text/csv; charset=utf-8", kStats), 1u);
  EXPECT_EQ(Pick("application/json", kStats), 0u);
  EXPECT_EQ(Pick("text/*", kStats), 1u);
}

TEST(PreferredMediaType, QValuesDecide) {
  EXPECT_EQ(Pick("text/csv;q=0.1, application/json", kStats), 0u);
  EXPECT_EQ(Pick("application/json;q=0.5, text/csv;q=0.9", kStats), 1u);
  EXPECT_EQ(Pick("application/json;q=0.5, text/csv ; Q=0.51", kStats), 1u);
  EXPECT_EQ(Pick("text/csv;q=1.0, application/json;q=1", kStats), 0u);  // a tie: the default
  // q=0 is "not acceptable", even when a wildcard would allow it.
  EXPECT_EQ(Pick("application/json;q=0, */*", kStats), 1u);
  EXPECT_EQ(Pick("text/csv;q=0, */*;q=0.1", kStats), 0u);
  // A more specific range wins over a wildcard, whatever their order.
  EXPECT_EQ(Pick("*/*;q=0.9, text/csv;q=0.2", kStats), 0u);
  EXPECT_EQ(Pick("text/csv;q=0.2, */*;q=0.9", kStats), 0u);
  // Nothing acceptable: the default rather than 406.
  EXPECT_EQ(Pick("image/png", kStats), 0u);
  EXPECT_EQ(Pick("application/json;q=0, text/csv;q=0", kStats), 0u);
}

TEST(PreferredMediaType, MalformedWeightsAndRangesAreNotFatal) {
  EXPECT_EQ(Pick("text/csv;q=abc", kStats), 1u);  // taken as 1
  EXPECT_EQ(Pick("text/csv;q=0.12345, application/json;q=0.5", kStats), 1u);
  EXPECT_EQ(Pick("csv, /json, text/, application/json;q=0.1, text/csv;q=0.05", kStats), 0u);
  EXPECT_EQ(Pick("text/csv;;q=0.4;level=1, application/json;q=0.3", kStats), 1u);
}

TEST(PreferredMediaType, WhatBrowsersAndToolsSend) {
  // Chromium and Firefox navigating to a page: HTML, JSON only through */*.
  EXPECT_EQ(Pick("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
                 "image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
                 kTranscript),
            1u);
  EXPECT_EQ(Pick("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", kTranscript),
            1u);
  // curl, and fetch() with no Accept.
  EXPECT_EQ(Pick("*/*", kTranscript), 0u);
  // The portal's API calls.
  EXPECT_EQ(Pick("application/json, application/problem+json;q=0.9, */*;q=0.8", kStats), 0u);
  EXPECT_EQ(Pick("application/json, application/problem+json;q=0.9, */*;q=0.8", kTranscript), 0u);
}

}  // namespace
}  // namespace lcb
