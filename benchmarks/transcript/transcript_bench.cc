// The transcript PDF: rendering time by number of records (issue #17: 60 records <= 50 ms).
// Fonts are loaded by the first render (fontconfig, pango's font map), which the benchmark's
// warm-up absorbs; each iteration then lays out and writes a whole PDF to memory.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "transcript/transcript.h"

namespace lcb {
namespace {

TranscriptInput Input(size_t n) {
  TranscriptInput in;
  in.learner_id = "lrn_5f0c2a9e41d7b3c8";
  in.learner_name = "张三 Zhang San";
  in.checkpoint = {"creditbank.localhost/log", 123456,
                   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"};
  in.verification_code = "TX7Q-4M2K-9PZD";
  in.verification_url = "https://credit.example.edu.cn/v1/transcripts/TX7Q-4M2K-9PZD";
  in.generated_at = "2026-11-29T05:54:27Z";
  const char* titles[] = {"程序设计基础", "Linear Algebra", "大学英语（三）", "Data Structures"};
  const char* issuers[] = {"清华大学", "The University of Hong Kong", "国家开放大学"};
  for (size_t i = 0; i < n; ++i) {
    TranscriptRecord r;
    r.id = "rec_" + std::to_string(i);
    r.unit_title = std::string(titles[i % 4]) + " " + std::to_string(i + 1);
    r.issuer = issuers[i % 3];
    r.kind = static_cast<UnitKind>(i % 4);
    r.level = 6;
    r.credits = 200 + static_cast<Centi>(i % 3) * 50;
    r.grade = i % 2 ? "优秀" : "92";
    r.completed_on = DaysFromCivil({2024, 6, 30});
    in.records.push_back(r);
  }
  return in;
}

void BM_TranscriptPdf(benchmark::State& state) {
  const TranscriptInput in = Input(static_cast<size_t>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto pdf = RenderTranscriptPdf(in);
    if (!pdf.ok()) state.SkipWithError(pdf.status().ToString().c_str());
    bytes = pdf.ok() ? pdf->size() : 0;
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["pdf_bytes"] = static_cast<double>(bytes);
  // To look at what was measured (pdffonts, pdftoppm): TRANSCRIPT_BENCH_OUT=dir.
  if (const char* dir = std::getenv("TRANSCRIPT_BENCH_OUT"); dir != nullptr) {
    auto pdf = RenderTranscriptPdf(in);
    std::ofstream(std::string(dir) + "/transcript-" + std::to_string(state.range(0)) + ".pdf",
                  std::ios::binary)
        << (pdf.ok() ? *pdf : std::string());
  }
}
BENCHMARK(BM_TranscriptPdf)->Arg(0)->Arg(60)->Arg(400)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace lcb

BENCHMARK_MAIN();
