// Route tables, one function per area. Each route declares the roles that may call it
// (checked by App before the handler runs); handlers do the object-level checks through
// CanReadLearner / CanReadRecord and ownership comparisons.
#pragma once

#include "api/bank.h"
#include "api/router.h"

namespace lcb {

void AddRecordRoutes(Router& router, Bank& bank);
void AddCatalogRoutes(Router& router, Bank& bank);
void AddLogRoutes(Router& router, Bank& bank);
void AddAdminRoutes(Router& router, Bank& bank);
void AddConversionRoutes(Router& router, Bank& bank);
void AddRegimeRoutes(Router& router);  // api/routes_regimes.cc: static data, no Bank

}  // namespace lcb
