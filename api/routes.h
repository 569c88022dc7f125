// Route tables, one function per area; each gets the services it needs and nothing else.
// Every route declares the roles that may call it (checked by App before the handler runs);
// handlers do the object-level checks through CanReadLearner / CanReadRecord and ownership
// comparisons, parse the request, call one service and map its typed result to JSON.
#pragma once

#include <functional>

#include "api/router.h"
#include "service/services.h"

namespace lcb {

// The passbook shows the issuers' names from `catalog`.
void AddRecordRoutes(Router& router, RecordService& records, LearnerService& learners,
                     PassbookService& passbook, CatalogService& catalog, int max_batch);
void AddCatalogRoutes(Router& router, CatalogService& catalog, RulesetService& rulesets);
void AddLogRoutes(Router& router, LogService& log);
using BackupFn = std::function<StatusOr<BackupManifest>(const std::string& dir)>;
void AddAdminRoutes(Router& router, TokenService& tokens, AdminLog& admin_log, BackupFn backup);
void AddConversionRoutes(Router& router, ConversionService& conversions, LearnerService& learners,
                         LogService& log);
void AddRegimeRoutes(Router& router);  // api/routes_regimes.cc: static data
// api/routes_credentials.cc: issuer keys, record credentials, status lists, verification,
// and GET /v1/learners/{id}/transcript (format=clr) unless a route already has that path.
void AddCredentialRoutes(Router& router, CredentialService& credentials, RecordService& records,
                         LearnerService& learners);
// api/routes_credentials.cc: POST /v1/learners/{id}/credentials (credentials as input).
void AddCredentialInputRoutes(Router& router, CredentialInputService& input,
                              LearnerService& learners);
// GET /v1/learners/{id}/transcript?format=clr, for whichever route dispatches on ?format=.
void HandleClrTranscript(CredentialService& credentials, LearnerService& learners,
                         RouteContext& ctx, Respond respond);

// api/routes_transcripts.cc: the transcript PDF and verification by code.
struct TranscriptRouteOptions {
  std::string public_url;  // config public_url; empty = from the request's Host
  bool tls = false;
};
void AddTranscriptRoutes(Router& router, TranscriptService& transcripts, LearnerService& learners,
                         CredentialService& credentials, TranscriptRouteOptions options);
// api/routes_stats.cc: GET /v1/stats for regulators (their region) and admin.
void AddStatsRoutes(Router& router, StatsService& stats, int k);

}  // namespace lcb
