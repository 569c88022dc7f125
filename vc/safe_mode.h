// JSON-LD "safe mode" for documents the VC-API endpoints accept: a document a JSON-LD processor
// in safe mode would reject is refused, so that what the bank signs or calls verified means the
// same to every JSON-LD reader (a term silently dropped by expansion is not signed in any
// meaningful way).
//
// What safe mode rejects (jsonld.js lib/events.js `safeEventHandler`, the behaviour the W3C
// VC-API and VC 2.0 test suites exercise), as checked here:
//   - a property that expands to no absolute IRI or keyword ("invalid property"): a term no
//     active context defines, where no @vocab applies. VC 2.0's context has no @vocab (it moved
//     to https://www.w3.org/ns/credentials/undefined-terms/v2); VC 1.1's never had one;
//   - a type that expands to no absolute IRI ("relative @type reference");
//   - an @id that is not an absolute IRI or blank node ("relative @id reference"), "@id": null;
//   - at the top level, in @graph or under a @graph container (e.g. "proof"): an empty object,
//     an object with only an @id, a value or list object, a bare scalar;
//   - a null @value, an object with only @language, a malformed @language tag;
//   - a context defining a keyword-like term ("@foo"), or a relative @vocab.
// And what any processor rejects: a protected term redefined (except by a property-scoped
// context), a context nullified over protected terms, a context that cannot be loaded (here:
// any URL outside the known contexts, vc/context_tables.inc), malformed @id/@type values.
//
// Contexts are followed as JSON-LD 1.1 does: embedded contexts, type-scoped contexts that do not
// propagate into nested nodes, property-scoped contexts that do and may override protected terms.
// Stricter than jsonld.js, refused as unsupported: embedded contexts using @base, @import,
// @language, @direction, @propagate, @reverse, @nest, @prefix, @index or scoped contexts of their
// own, containers other than @set/@list/@graph in them, and @reverse/@nest/@index in documents.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lcb::vc {

// OK, or InvalidArgument whose pointer names the offending member (e.g.
// "/credentialSubject/favoriteColor") and whose message says what safe mode objects to.
Status CheckJsonLdSafeMode(const nlohmann::json& document);

// The context URLs the checker knows (tables derived from the npm context packages).
std::vector<std::string_view> KnownContextUrls();

}  // namespace lcb::vc
