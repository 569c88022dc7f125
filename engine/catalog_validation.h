// Shape checks for catalog objects (institutions, units, programs) before api/ stores them.
//
// Every error is kInvalidArgument with an RFC 6901 pointer into the object as DESIGN.md
// names its JSON fields ("/id", "/level", "/requirements/2/credits",
// "/policy/caps/0/limits/mooc"). The first error found is returned; fields are checked in
// declaration order so the answer is deterministic.
//
// Rules (shared with recognition where they overlap):
//   institution id   [a-z0-9][a-z0-9_-]{1,62}
//   unit/program id  "<institution>:<code>", code [A-Za-z0-9._-]{1,64}, and the institution
//                    part equals the object's `institution`
//   names, titles    non-empty, at most 200 code points, UTF-8 without control characters
//   kinds            institution and program kinds are open vocabularies ("university",
//                    "bachelor", ...): a lowercase token [a-z][a-z0-9_]{0,31}; unit kinds are
//                    the closed UnitKind enum
//   credits          0..1000 credits (requirement, program total and grant must be > 0)
//   level            1..10
//   field            ISCED-F 2013 (see IsIscedF2013)
//   validity_years   0..100 (0 = never expires)
//   hours_per_credit > 0 and at most 1000 hours
//
// Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/credits.h"
#include "common/encoding.h"
#include "common/status.h"
#include "engine/limits.h"
#include "engine/model.h"

namespace lcb {

Status ValidateInstitution(const Institution& institution);
Status ValidateUnit(const Unit& unit);
// The program's own fields, requirements and policy. Rulesets are validated separately.
Status ValidateProgramShape(const Program& program);

// ---- Predicates shared with recognition and api/ ------------------------------------------

bool IsInstitutionId(std::string_view id);  // [a-z0-9][a-z0-9_-]{1,62}
bool IsCatalogCode(std::string_view code);  // [A-Za-z0-9._-]{1,64}
// "<institution>:<code>" with both parts valid; `institution` receives the first part.
bool IsCatalogId(std::string_view id, std::string_view* institution = nullptr);

// ISCED-F 2013 (UNESCO UIS, "ISCED Fields of Education and Training 2013"): a broad field
// (2 digits), narrow field (3) or detailed field (4). Broad fields are 00..10 and 99 (field
// unknown). Narrow and detailed codes are checked against the published list of substantive
// fields, including the inter-disciplinary codes ending in 8 (018, 0188, ...). The residual
// codes of the classification ("not further defined", ending in 0: 020, 0210; "not elsewhere
// classified", ending in 9: 029, 0219) are accepted by that rule under any valid parent
// rather than listed one by one, so a few residual codes UNESCO does not print are accepted
// too.
bool IsIscedF2013(std::string_view field);

// Valid UTF-8 with no C0/C1 control characters and no DEL, and at most `max_chars` code
// points. Error at `pointer`; `required` also rejects the empty string.
Status ValidateText(std::string_view value, std::string_view pointer, size_t max_chars,
                    bool required = true);


}  // namespace lcb
