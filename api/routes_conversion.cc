#include "api/routes.h"
namespace lcb {
void AddConversionRoutes(Router&, Bank&) {}
}  // namespace lcb
